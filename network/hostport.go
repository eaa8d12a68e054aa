package network

import (
	"io"
	"net"
	"strconv"

	"github.com/pkg/errors"
)

// HostPorts holds the host ports a container publishes: a socket bound to
// each on its host address (every one by default), open while the container runs. A port a
// host program already listens on is refused ("address already in use")
// instead of silently taking its traffic, and no program can take a port
// later, as Docker's userland proxy does. Nothing ever reaches these
// sockets: the DNAT rules send the traffic to the container first.
type HostPorts struct {
	socks []io.Closer
}

// holdPorts binds every host port of ports, or none, and returns ports
// with each host port 0 replaced by the free port the kernel bound (from
// its ephemeral range, 32768 and up, as Docker's choice): being held, it
// stays free for the container until it exits.
func holdPorts(ports []PortMapping) (*HostPorts, []PortMapping, error) {
	h := &HostPorts{}
	out := make([]PortMapping, 0, len(ports))
	for _, p := range ports {
		ip := p.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		addr := ip + ":" + strconv.Itoa(p.HostPort)
		var sock io.Closer
		var err error
		if p.Protocol == "udp" {
			var c net.PacketConn
			if c, err = net.ListenPacket("udp4", addr); err == nil {
				sock, p.HostPort = c, c.LocalAddr().(*net.UDPAddr).Port
			}
		} else {
			var l net.Listener
			if l, err = net.Listen("tcp4", addr); err == nil {
				sock, p.HostPort = l, l.Addr().(*net.TCPAddr).Port
			}
		}
		if err != nil {
			h.Close()
			if p.HostPort == 0 {
				return nil, nil, errors.Wrapf(err, "publish container port %d/%s on a free host port", p.ContainerPort, p.Protocol)
			}
			return nil, nil, errors.Wrapf(err, "publish host port %d/%s", p.HostPort, p.Protocol)
		}
		h.socks = append(h.socks, sock)
		out = append(out, p)
	}
	return h, out, nil
}

// Close releases the ports; a nil HostPorts holds none.
func (h *HostPorts) Close() error {
	if h == nil {
		return nil
	}
	var first error
	for _, s := range h.socks {
		if err := s.Close(); err != nil && first == nil {
			first = errors.Wrap(err, "release host port")
		}
	}
	h.socks = nil
	return first
}
