package network

import (
	"io"
	"net"
	"os"
	"strconv"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
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

// Files are copies of the sockets' descriptors (close-on-exec, as every
// descriptor here): a monitor hands them to the fresh image of itself it
// execs (AdoptPorts there). A nil HostPorts has none.
func (h *HostPorts) Files() ([]*os.File, error) {
	if h == nil {
		return nil, nil
	}
	var files []*os.File
	for _, s := range h.socks {
		var f *os.File
		var err error
		switch s := s.(type) {
		case *net.TCPListener:
			f, err = s.File()
		case *net.UDPConn:
			f, err = s.File()
		case *os.File:
			f, err = dupFile(s)
		default:
			err = errors.Errorf("%T is no socket", s)
		}
		if err != nil {
			for _, f := range files {
				f.Close()
			}
			return nil, errors.Wrap(err, "copy a published port's socket")
		}
		files = append(files, f)
	}
	return files, nil
}

// dupFile is a close-on-exec copy of f.
func dupFile(f *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// AdoptPorts holds the ports whose sockets this process inherited (Files,
// in the image it exec'd from).
func AdoptPorts(files []*os.File) *HostPorts {
	h := &HostPorts{}
	for _, f := range files {
		h.socks = append(h.socks, f)
	}
	return h
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
