package network

import (
	"net"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// PortMapping publishes a container port on the host.
type PortMapping struct {
	HostPort      int    `json:"HostPort"`
	ContainerPort int    `json:"ContainerPort"`
	Protocol      string `json:"Protocol"`         // tcp or udp
	HostIP        string `json:"HostIp,omitempty"` // empty: every host address
}

func (p PortMapping) String() string {
	host := strconv.Itoa(p.HostPort)
	if p.HostIP != "" {
		host = p.HostIP + ":" + host
	}
	return host + "->" + strconv.Itoa(p.ContainerPort) + "/" + p.Protocol
}

// loopback reports whether p is published on a loopback address only,
// so only the host's own programs may reach it.
func (p PortMapping) loopback() bool {
	ip := net.ParseIP(p.HostIP)
	return ip != nil && ip.IsLoopback()
}

// ParsePort parses a -p spec [HOST_IP:]HOST:CONTAINER[/tcp|udp].
func ParsePort(spec string) (PortMapping, error) {
	bad := func(why string) (PortMapping, error) {
		return PortMapping{}, errors.Errorf("invalid port %q: %s", spec, why)
	}
	ports, proto, hasProto := strings.Cut(spec, "/")
	if !hasProto {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" {
		return bad("protocol must be tcp or udp")
	}
	hostIP := ""
	if i := strings.LastIndex(ports, ":"); i >= 0 && strings.Contains(ports[:i], ":") {
		j := strings.Index(ports, ":")
		hostIP, ports = ports[:j], ports[j+1:]
		ip := net.ParseIP(hostIP)
		if ip == nil || ip.To4() == nil || strings.Contains(hostIP, ":") {
			return bad("host address " + strconv.Quote(hostIP) + " is not an IPv4 address")
		}
		if ip.IsUnspecified() {
			hostIP = "" // 0.0.0.0: every address, the default
		} else {
			hostIP = ip.To4().String()
		}
	}
	host, ctr, ok := strings.Cut(ports, ":")
	if !ok || strings.Contains(ctr, ":") {
		return bad("want [HOST_IP:]HOST:CONTAINER[/tcp|udp]")
	}
	h, err := parsePortNumber(host)
	if err != nil {
		return bad("host port " + err.Error())
	}
	c, err := parsePortNumber(ctr)
	if err != nil {
		return bad("container port " + err.Error())
	}
	return PortMapping{HostPort: h, ContainerPort: c, Protocol: proto, HostIP: hostIP}, nil
}

func parsePortNumber(s string) (int, error) {
	if s == "" || len(s) > 5 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, errors.Errorf("%q is not a number", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, errors.Errorf("%q is not between 1 and 65535", s)
	}
	return n, nil
}

// ParsePorts parses every -p spec and refuses one host port twice (on
// any addresses: one port, one container).
func ParsePorts(specs []string) ([]PortMapping, error) {
	var out []PortMapping
	seen := map[string]bool{}
	for _, s := range specs {
		p, err := ParsePort(s)
		if err != nil {
			return nil, err
		}
		key := strconv.Itoa(p.HostPort) + "/" + p.Protocol
		if seen[key] {
			return nil, errors.Errorf("invalid port %q: host port %s published twice", s, key)
		}
		seen[key] = true
		out = append(out, p)
	}
	return out, nil
}
