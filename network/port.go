package network

import (
	"net"
	"sort"
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

// maxPortRange bounds a -p range: each port is three iptables rules.
const maxPortRange = 100

// ParsePort parses a -p spec, [[HOST_IP:][HOST]:]CONTAINER[/tcp|udp],
// where HOST and CONTAINER may be ranges (8000-8002) of the same length.
// A missing HOST (-p 80, -p 127.0.0.1::80) is host port 0: a free port
// chosen when the container starts.
func ParsePort(spec string) ([]PortMapping, error) {
	bad := func(why string) ([]PortMapping, error) {
		return nil, errors.Errorf("invalid port %q: %s", spec, why)
	}
	ports, proto, hasProto := strings.Cut(spec, "/")
	if !hasProto {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" {
		return bad("protocol must be tcp or udp")
	}
	hostIP, hasIP := "", false
	if i := strings.LastIndex(ports, ":"); i >= 0 && strings.Contains(ports[:i], ":") {
		hasIP = true
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
		if !strings.Contains(ports, ":") {
			return bad("want [[HOST_IP:][HOST]:]CONTAINER[/tcp|udp]")
		}
	}
	host, ctr, hasHost := strings.Cut(ports, ":")
	if !hasHost {
		host, ctr = "", ports
	}
	if strings.Contains(ctr, ":") || (hasHost && !hasIP && host == "") {
		return bad("want [[HOST_IP:][HOST]:]CONTAINER[/tcp|udp]")
	}
	cLo, cHi, err := parsePortRange(ctr)
	if err != nil {
		return bad("container port " + err.Error())
	}
	hLo, hHi := 0, 0
	if host != "" {
		if hLo, hHi, err = parsePortRange(host); err != nil {
			return bad("host port " + err.Error())
		}
		if hHi-hLo != cHi-cLo {
			return bad("host and container port ranges must have the same length")
		}
	}
	if cHi-cLo >= maxPortRange {
		return bad("a range has at most " + strconv.Itoa(maxPortRange) + " ports")
	}
	out := make([]PortMapping, 0, cHi-cLo+1)
	for i := 0; i <= cHi-cLo; i++ {
		p := PortMapping{ContainerPort: cLo + i, Protocol: proto, HostIP: hostIP}
		if host != "" {
			p.HostPort = hLo + i
		}
		out = append(out, p)
	}
	return out, nil
}

// parsePortRange parses N or LO-HI.
func parsePortRange(s string) (int, int, error) {
	loS, hiS, isRange := strings.Cut(s, "-")
	lo, err := parsePortNumber(loS)
	if err != nil {
		return 0, 0, err
	}
	if !isRange {
		return lo, lo, nil
	}
	hi, err := parsePortNumber(hiS)
	if err != nil {
		return 0, 0, err
	}
	if hi < lo {
		return 0, 0, errors.Errorf("range %q ends before it starts", s)
	}
	return lo, hi, nil
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
		ps, err := ParsePort(s)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if p.HostPort != 0 {
				key := strconv.Itoa(p.HostPort) + "/" + p.Protocol
				if seen[key] {
					return nil, errors.Errorf("invalid port %q: host port %s published twice", s, key)
				}
				seen[key] = true
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// PublishAll adds, for -P, a mapping to a free host port for every
// exposed port (image's EXPOSE, "80/tcp" or "80") that ports does not
// publish yet, in port order.
func PublishAll(ports []PortMapping, exposed map[string]struct{}) []PortMapping {
	have := map[string]bool{}
	for _, p := range ports {
		have[strconv.Itoa(p.ContainerPort)+"/"+p.Protocol] = true
	}
	var add []PortMapping
	for e := range exposed {
		num, proto, ok := strings.Cut(e, "/")
		if !ok {
			proto = "tcp"
		}
		n, err := parsePortNumber(num)
		if err != nil || (proto != "tcp" && proto != "udp") || have[strconv.Itoa(n)+"/"+proto] {
			continue // sctp, or a malformed image config: nothing to publish
		}
		have[strconv.Itoa(n)+"/"+proto] = true
		add = append(add, PortMapping{ContainerPort: n, Protocol: proto})
	}
	sort.Slice(add, func(i, j int) bool {
		if add[i].ContainerPort != add[j].ContainerPort {
			return add[i].ContainerPort < add[j].ContainerPort
		}
		return add[i].Protocol < add[j].Protocol
	})
	return append(ports, add...)
}
