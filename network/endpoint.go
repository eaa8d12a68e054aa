package network

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"mydocker/trace"
	"mydocker/utils"
)

// Endpoint is a container's attachment to a network, as inspect shows it.
type Endpoint struct {
	Network    string        `json:"Network,omitempty"`
	IPAddress  string        `json:"IPAddress,omitempty"`
	PrefixLen  int           `json:"IPPrefixLen,omitempty"`
	Gateway    string        `json:"Gateway,omitempty"`
	MacAddress string        `json:"MacAddress,omitempty"`
	Ports      []PortMapping `json:"Ports,omitempty"`
	VethHost   string        `json:"VethHost,omitempty"`
}

// vethName is the host end of container id's veth pair (15 bytes at most).
func vethName(id string) string { return "mdv" + id[:11] }

// Allocate gives container id an address in network name: its old one if
// it has one (a restarted container keeps its address until removed),
// else want if set (--ip), else the lowest free one.
func (s *Store) Allocate(name, id string, want net.IP) (*Network, net.IP, error) {
	lock, err := s.lock()
	if err != nil {
		return nil, nil, err
	}
	defer lock.Unlock()
	if err := s.recover(); err != nil {
		return nil, nil, err
	}
	n, err := s.Get(name)
	if err != nil {
		return nil, nil, err
	}
	pool, err := s.loadPool(name)
	if err != nil {
		return nil, nil, err
	}
	done := trace.Begin(trace.IPAM, "allocate an address for %s in %s (network %s)", utils.ShortID(id), n.Subnet, name)
	a, err := s.addrs(name, pool)
	var ip net.IP
	if err == nil {
		ip, err = a.allocate(id, want)
	}
	done(err)
	if err != nil {
		return nil, nil, errors.Wrapf(err, "network %s", name)
	}
	return n, ip, nil
}

// Release frees every address container id holds, in every network. An
// unreadable pool is skipped: no address can be freed in it, and
// refusing would make every container undeletable (network ls reports
// it, network rm removes it).
func (s *Store) Release(id string) error {
	lock, err := s.lock()
	if err != nil {
		return err
	}
	defer lock.Unlock()
	names, err := s.names("ipam")
	if err != nil {
		return err
	}
	for _, name := range names {
		pool, err := s.loadPool(name)
		if err != nil {
			log.Debugf("skipping address pool: %v", err)
			continue
		}
		done := trace.Begin(trace.IPAM, "release the address of %s in network %s", utils.ShortID(id), name)
		a, err := s.addrs(name, pool)
		found := false
		if err == nil {
			found, err = a.release(id)
		}
		if found || err != nil {
			done(err)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Connect plugs container id (first process pid) into network n with
// address ip: a veth pair with one end on the bridge and the other in the
// container's network namespace as eth0, a default route via the gateway,
// and the rules publishing its ports. The caller keeps the returned host
// ports open while the container runs.
func (s *Store) Connect(n *Network, id string, ip net.IP, pid int, ports []PortMapping) (*Endpoint, *HostPorts, error) {
	_, subnet, err := net.ParseCIDR(n.Subnet)
	if err != nil {
		return nil, nil, errors.Wrapf(err, "subnet of %s", n.Name)
	}
	ones, _ := subnet.Mask.Size()
	br, err := netlink.LinkByName(n.Bridge)
	if err != nil {
		return nil, nil, errors.Wrapf(err, "bridge %s of network %s is missing (recreate the network)", n.Bridge, n.Name)
	}
	// The host end is made up in the same request: each request waits
	// for the kernel's rtnl lock, which every namespace being torn down
	// on the machine holds in turn.
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: vethName(id), MasterIndex: br.Attrs().Index, Flags: net.FlagUp},
		PeerName:      "eth0",
		PeerNamespace: netlink.NsPid(pid),
	}
	err = addVeth(veth, n.Bridge, pid)
	if errors.Is(err, unix.EEXIST) {
		// A veth left by a mydocker killed mid-way (a restarted
		// container's veth has the same name) goes first.
		if err = deleteLink(veth.Name); err == nil {
			err = addVeth(veth, n.Bridge, pid)
		}
	}
	if err != nil {
		return nil, nil, errors.Wrapf(err, "create veth %s", veth.Name)
	}
	ep := &Endpoint{Network: n.Name, IPAddress: ip.String(), PrefixLen: ones, Gateway: n.Gateway,
		VethHost: veth.Name, Ports: ports}
	if ep.MacAddress, err = configureInside(pid, ip, ones, net.ParseIP(n.Gateway)); err != nil {
		return nil, nil, err
	}
	held, published, err := s.publish(id, n, ip, ports)
	if err != nil {
		return nil, nil, err
	}
	ep.Ports = published
	log.Debugf("container %s on %s as %s/%d via %s", utils.ShortID(id), n.Name, ip, ones, veth.Name)
	return ep, held, nil
}

// addVeth creates veth, its host end up on bridge and its peer eth0 in
// the network namespace of pid.
func addVeth(veth *netlink.Veth, bridge string, pid int) error {
	done := trace.Begin(trace.Endpoint, "ip link add %s master %s type veth peer name eth0 netns %d; ip link set %s up (one request)", veth.Name, bridge, pid, veth.Name)
	err := netlink.LinkAdd(veth)
	done(err)
	return err
}

// configureInside gives eth0 its address and the default route, inside
// the container's network namespace.
func configureInside(pid int, ip net.IP, ones int, gw net.IP) (string, error) {
	ns, err := netns.GetFromPid(pid)
	if err != nil {
		return "", errors.Wrapf(err, "network namespace of pid %d", pid)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return "", errors.Wrap(err, "netlink in container")
	}
	defer h.Close()
	eth0, err := h.LinkByName("eth0")
	if err != nil {
		return "", errors.Wrap(err, "find eth0 in container")
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: net.CIDRMask(ones, 32)}}
	done := trace.Begin(trace.Endpoint, "nsenter -t %d -n ip addr add %s/%d dev eth0", pid, ip, ones)
	err = h.AddrAdd(eth0, addr)
	done(err)
	if err != nil {
		return "", errors.Wrapf(err, "add %s to eth0", addr)
	}
	done = trace.Begin(trace.Endpoint, "nsenter -t %d -n ip link set eth0 up", pid)
	err = h.LinkSetUp(eth0)
	done(err)
	if err != nil {
		return "", errors.Wrap(err, "bring eth0 up")
	}
	done = trace.Begin(trace.Endpoint, "nsenter -t %d -n ip route add default via %s dev eth0", pid, gw)
	err = h.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Gw: gw})
	done(err)
	if err != nil {
		return "", errors.Wrapf(err, "default route via %s", gw)
	}
	return eth0.Attrs().HardwareAddr.String(), nil
}

// publish adds the DNAT rules for ports: from other hosts and containers
// (PREROUTING) and from this host, loopback included (OUTPUT), plus the
// hairpin masquerade that lets a container reach another through a
// published port. A host port another container publishes, or a host
// program uses, is refused; the others are held (see HostPorts). A host
// port 0 (-p CONTAINER, -P) becomes a free port the kernel picks; the
// mappings as published are returned.
func (s *Store) publish(id string, n *Network, ip net.IP, ports []PortMapping) (*HostPorts, []PortMapping, error) {
	if len(ports) == 0 {
		return nil, nil, nil
	}
	lock, err := s.lock()
	if err != nil {
		return nil, nil, err
	}
	defer lock.Unlock()
	current, err := iptables("-t", "nat", "-S", "OUTPUT")
	if err != nil {
		return nil, nil, err
	}
	for _, p := range ports {
		if p.HostPort == 0 {
			continue
		}
		if owner := portOwner(current, p); owner != "" && owner != ctrComment(id) {
			return nil, nil, errors.Errorf("host port %d/%s is already published by container %s", p.HostPort, p.Protocol, strings.TrimPrefix(owner, "mydocker:")[:12])
		}
	}
	held, ports, err := holdPorts(ports)
	if err != nil {
		return nil, nil, err
	}
	var rules []rule
	for _, p := range ports {
		to := ip.String() + ":" + strconv.Itoa(p.ContainerPort)
		dst := []string{"-m", "addrtype", "--dst-type", "LOCAL"}
		if p.HostIP != "" {
			dst = []string{"-d", p.HostIP}
		}
		dnat := append(append([]string{"-p", p.Protocol}, dst...), "--dport", strconv.Itoa(p.HostPort), "-j", "DNAT", "--to-destination", to)
		// A port on a loopback address is for the host's own programs:
		// no PREROUTING rule, so no packet from outside (or from a
		// container, sent to 127.0.0.1 through the bridge) is let in.
		if !p.loopback() {
			rules = append(rules, rule{"nat", "PREROUTING", dnat})
		}
		rules = append(rules,
			rule{"nat", "OUTPUT", dnat},
			rule{"nat", "POSTROUTING", []string{"-p", p.Protocol, "-s", n.Subnet, "-d", ip.String(), "--dport", strconv.Itoa(p.ContainerPort), "-j", "MASQUERADE"}},
		)
	}
	if err := addRules(rules, ctrComment(id), false); err != nil {
		held.Close()
		return nil, nil, err
	}
	return held, ports, nil
}

// portOwner finds the comment of a mydocker rule already publishing p.
func portOwner(rules string, p PortMapping) string {
	for _, line := range strings.Split(rules, "\n") {
		f := strings.Fields(line)
		if !containsSeq(f, "-p", p.Protocol) || !containsSeq(f, "--dport", strconv.Itoa(p.HostPort)) {
			continue
		}
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "--comment" {
				if c := strings.Trim(f[i+1], `"`); strings.HasPrefix(c, "mydocker:") {
					return c
				}
			}
		}
	}
	return ""
}

func containsSeq(f []string, a, b string) bool {
	for i := 0; i+1 < len(f); i++ {
		if f[i] == a && f[i+1] == b {
			return true
		}
	}
	return false
}

// Disconnect removes container id's veth and, if it may have published
// ports, its port rules. The address stays reserved until Release. Parts
// already gone are fine. With leaveVeth (the container's last process
// has just exited, and nothing waits on its removal), the veth is left
// to the kernel, which removes it with the container's network namespace
// some milliseconds later: Release then keeps the address taken until
// it is gone (addrs.go's departed slots).
func Disconnect(id string, ports, leaveVeth bool) error {
	if ports {
		if err := deleteRules(ctrComment(id), "nat"); err != nil {
			return err
		}
	}
	if leaveVeth {
		return nil
	}
	return awaitLinkGone(vethName(id))
}

// vethGoneWait bounds how long Disconnect waits for the kernel to remove
// a veth with its network namespace before deleting it itself. The
// kernel takes a few milliseconds, tens when many namespaces die at
// once; only a namespace someone still holds waits the whole time.
var vethGoneWait = 250 * time.Millisecond

// awaitLinkGone returns once link name no longer exists. A veth pair goes
// away by itself with the container's network namespace: the kernel's
// namespace clean-up worker unregisters both ends shortly after the
// container's last process exits. Deleting it ourselves does the same
// and then waits in rcu_barrier for every pending RCU callback of the
// machine (about 10 ms, most of the network's cost on a run --rm), so we
// wait for the kernel's RTM_DELLINK instead. A namespace still held (by
// a container sharing it, or a host process that entered it) never lets
// the pair go: after vethGoneWait we delete it as before. Either way, when this
// returns the link is down, off the bridge and its name free, and the
// container end with its address is gone with it (a pair is unregistered
// at once): the address can be given to another container.
func awaitLinkGone(name string) error {
	// Most often it is gone already (and a start finds none): then no
	// watch is needed.
	link, err := netlink.LinkByName(name)
	if err != nil {
		if _, ok := err.(netlink.LinkNotFoundError); ok {
			return nil
		}
		return errors.Wrapf(err, "find %s", name)
	}
	sock, err := nl.Subscribe(unix.NETLINK_ROUTE, unix.RTNLGRP_LINK)
	if err != nil {
		log.Debugf("cannot watch links (%v): deleting %s", err, name)
		return deleteLink(name)
	}
	defer sock.Close()
	// Looked up again once subscribed, so a removal in between is seen.
	if _, err := netlink.LinkByIndex(link.Attrs().Index); err != nil {
		if _, ok := err.(netlink.LinkNotFoundError); ok {
			return nil
		}
		return errors.Wrapf(err, "find %s", name)
	}
	index := int32(link.Attrs().Index)
	done := trace.Begin(trace.Endpoint, "wait for the kernel to remove %s with the container's network namespace", name)
	gone, err := waitDelLink(sock, index, time.Now().Add(vethGoneWait))
	if err == nil && !gone {
		err = errors.Errorf("still there after %v", vethGoneWait)
	}
	done(err)
	if gone {
		return nil
	}
	log.Debugf("%s: %v: deleting it", name, err)
	return deleteLink(name)
}

// waitDelLink reads link events from sock until the one saying link
// index was deleted, or until deadline.
func waitDelLink(sock *nl.NetlinkSocket, index int32, deadline time.Time) (bool, error) {
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return false, nil
		}
		tv := unix.NsecToTimeval(left.Nanoseconds())
		if err := sock.SetReceiveTimeout(&tv); err != nil {
			return false, err
		}
		msgs, _, err := sock.Receive()
		if errors.Is(err, unix.EAGAIN) {
			return false, nil
		}
		if errors.Is(err, unix.ENOBUFS) {
			// Events were dropped, ours perhaps: look again.
			if _, err := netlink.LinkByIndex(int(index)); err != nil {
				if _, ok := err.(netlink.LinkNotFoundError); ok {
					return true, nil
				}
			}
			continue
		}
		if err != nil {
			return false, errors.Wrap(err, "watch links")
		}
		for _, m := range msgs {
			if m.Header.Type != unix.RTM_DELLINK || len(m.Data) < unix.SizeofIfInfomsg {
				continue
			}
			// The bridge says first (AF_BRIDGE) that the port is going;
			// the link's own message comes once the bridge has let it go.
			if msg := nl.DeserializeIfInfomsg(m.Data); msg.Index == index && msg.Family == unix.AF_UNSPEC {
				return true, nil
			}
		}
	}
}

func deleteLink(name string) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		if _, ok := err.(netlink.LinkNotFoundError); ok {
			return nil
		}
		return errors.Wrapf(err, "find %s", name)
	}
	// The kernel deletes a veth pair itself when the container's network
	// namespace goes away, possibly between our lookup and our delete.
	done := trace.Begin(trace.Endpoint, "ip link del %s", name)
	err = netlink.LinkDel(link)
	if errors.Is(err, unix.ENODEV) {
		err = nil
	}
	done(err)
	return errors.Wrapf(err, "delete %s", name)
}
