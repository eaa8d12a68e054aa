package network

import (
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// PortMapping publishes a container port on the host.
type PortMapping struct {
	HostPort      int    `json:"HostPort"`
	ContainerPort int    `json:"ContainerPort"`
	Protocol      string `json:"Protocol"` // tcp or udp
}

func (p PortMapping) String() string {
	return strconv.Itoa(p.HostPort) + "->" + strconv.Itoa(p.ContainerPort) + "/" + p.Protocol
}

// ParsePort parses a -p spec HOST:CONTAINER[/tcp|udp].
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
	host, ctr, ok := strings.Cut(ports, ":")
	if !ok || strings.Contains(ctr, ":") {
		return bad("want HOST:CONTAINER[/tcp|udp]")
	}
	h, err := parsePortNumber(host)
	if err != nil {
		return bad("host port " + err.Error())
	}
	c, err := parsePortNumber(ctr)
	if err != nil {
		return bad("container port " + err.Error())
	}
	return PortMapping{HostPort: h, ContainerPort: c, Protocol: proto}, nil
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

// ParsePorts parses every -p spec and refuses one host port twice.
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
