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

// holdPorts binds every host port of ports, or none.
func holdPorts(ports []PortMapping) (*HostPorts, error) {
	h := &HostPorts{}
	for _, p := range ports {
		ip := p.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		addr := ip + ":" + strconv.Itoa(p.HostPort)
		var sock io.Closer
		var err error
		if p.Protocol == "udp" {
			sock, err = net.ListenPacket("udp4", addr)
		} else {
			sock, err = net.Listen("tcp4", addr)
		}
		if err != nil {
			h.Close()
			return nil, errors.Wrapf(err, "publish host port %d/%s", p.HostPort, p.Protocol)
		}
		h.socks = append(h.socks, sock)
	}
	return h, nil
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
