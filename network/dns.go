package network

import (
	"bufio"
	"net"
	"os"
	"strings"

	"github.com/pkg/errors"

	"mydocker/utils"
)

// DNSConfig is what --dns, --dns-search and --dns-option ask of a
// container's /etc/resolv.conf; each list, when given, replaces the
// host's lines of that kind, as in Docker.
type DNSConfig struct {
	Servers []string `json:"Dns,omitempty"`
	Search  []string `json:"DnsSearch,omitempty"`
	Options []string `json:"DnsOptions,omitempty"`
}

// Docker's fallback when the host names no resolver a container can
// reach (only loopback ones, or none).
var defaultNameservers = []string{"8.8.8.8", "8.8.4.4"}

var (
	// A search domain: dotted labels, as resolv.conf takes them.
	domainRE = utils.LazyRegexp(`^[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,62})(\.[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,62}))*\.?$`)
	// A resolver option: ndots:2, edns0, timeout:1, use-vc, ...
	dnsOptionRE = utils.LazyRegexp(`^[a-zA-Z0-9_-]+(:[0-9]+)?$`)
)

// ParseDNS checks the DNS flags of run. "--dns-search ." asks for no
// search domain at all, as in Docker.
func ParseDNS(servers, search, options []string) (DNSConfig, error) {
	var c DNSConfig
	for _, s := range servers {
		ip := net.ParseIP(s)
		if ip == nil {
			return DNSConfig{}, errors.Errorf("invalid --dns %q: not an IP address", s)
		}
		c.Servers = append(c.Servers, ip.String())
	}
	for _, s := range search {
		if s != "." && (len(s) > 253 || !domainRE().MatchString(s)) {
			return DNSConfig{}, errors.Errorf("invalid --dns-search %q: not a domain name", s)
		}
		c.Search = append(c.Search, s)
	}
	for _, s := range options {
		if !dnsOptionRE().MatchString(s) {
			return DNSConfig{}, errors.Errorf("invalid --dns-option %q: want an option such as ndots:2 or edns0", s)
		}
		c.Options = append(c.Options, s)
	}
	return c, nil
}

// ResolvConf is the container's /etc/resolv.conf: the host's (at
// hostResolv) with dns's lists in place of the host's. A container in its
// own network namespace cannot reach a resolver on the host's loopback
// (systemd-resolved's 127.0.0.53, a local dnsmasq), so those are dropped,
// as Docker drops them, and Docker's public resolvers stand in if none is
// left; a container sharing the host's network (host) keeps them all.
func ResolvConf(hostResolv string, dns DNSConfig, hostNet bool) string {
	var servers, search, options, other []string
	if f, err := os.Open(hostResolv); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			fields := strings.Fields(line)
			if len(fields) == 0 || strings.HasPrefix(fields[0], "#") || strings.HasPrefix(fields[0], ";") {
				continue
			}
			switch fields[0] {
			case "nameserver":
				if len(fields) < 2 {
					continue
				}
				if ip := net.ParseIP(fields[1]); ip == nil || (ip.IsLoopback() && !hostNet) {
					continue
				}
				servers = append(servers, fields[1])
			case "search", "domain":
				// The last of search and domain wins, as in the resolver.
				search = fields[1:]
			case "options":
				options = append(options, fields[1:]...)
			default:
				other = append(other, line)
			}
		}
		f.Close()
	}
	if len(dns.Servers) > 0 {
		servers = dns.Servers
	} else if len(servers) == 0 && !hostNet {
		servers = defaultNameservers
	}
	if len(dns.Search) > 0 {
		search = nil
		for _, s := range dns.Search {
			if s != "." {
				search = append(search, s)
			}
		}
	}
	if len(dns.Options) > 0 {
		options = dns.Options
	}
	var b strings.Builder
	for _, s := range servers {
		b.WriteString("nameserver " + s + "\n")
	}
	if len(search) > 0 {
		b.WriteString("search " + strings.Join(search, " ") + "\n")
	}
	if len(options) > 0 {
		b.WriteString("options " + strings.Join(options, " ") + "\n")
	}
	for _, l := range other {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// HostGateway is the --add-host address that stands for the host, as
// seen from the container: its network's gateway.
const HostGateway = "host-gateway"

// AddHost is one --add-host entry.
type AddHost struct {
	Name string
	IP   string // an address, or HostGateway until the container starts
}

// ParseAddHost parses --add-host NAME:IP (or NAME=IP, Docker's newer
// spelling), where IP may be IPv6, bracketed or not, or host-gateway.
func ParseAddHost(spec string) (AddHost, error) {
	i := strings.IndexAny(spec, ":=")
	if i < 0 {
		return AddHost{}, errors.Errorf("invalid --add-host %q: want NAME:IP", spec)
	}
	name, addr := spec[:i], spec[i+1:]
	if !aliasRE().MatchString(name) {
		return AddHost{}, errors.Errorf("invalid --add-host %q: %q is not a host name", spec, name)
	}
	if addr == HostGateway {
		return AddHost{Name: name, IP: HostGateway}, nil
	}
	if strings.HasPrefix(addr, "[") && strings.HasSuffix(addr, "]") {
		addr = addr[1 : len(addr)-1]
	}
	ip := net.ParseIP(addr)
	if ip == nil {
		return AddHost{}, errors.Errorf("invalid --add-host %q: %q is not an IP address (or host-gateway)", spec, addr)
	}
	return AddHost{Name: name, IP: ip.String()}, nil
}

// ParseAddHosts parses every --add-host.
func ParseAddHosts(specs []string) ([]AddHost, error) {
	var out []AddHost
	for _, s := range specs {
		h, err := ParseAddHost(s)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}
