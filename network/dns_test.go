package network

import (
	"net"
	"strings"
	"testing"
)

func TestParseAddHost(t *testing.T) {
	tests := []struct {
		spec string
		want AddHost
		err  string
	}{
		{"db:10.1.2.3", AddHost{"db", "10.1.2.3"}, ""},
		{"db=10.1.2.3", AddHost{"db", "10.1.2.3"}, ""},
		{"my.host:::1", AddHost{"my.host", "::1"}, ""},
		{"v6:[fe80::1]", AddHost{"v6", "fe80::1"}, ""},
		{"host.docker.internal:host-gateway", AddHost{"host.docker.internal", HostGateway}, ""},
		{"db", AddHost{}, "want NAME:IP"},
		{":10.1.2.3", AddHost{}, "not a host name"},
		{"bad name:10.1.2.3", AddHost{}, "not a host name"},
		{"db:10.1.2", AddHost{}, "not an IP address"},
		{"db:", AddHost{}, "not an IP address"},
		{"db:[10.1.2.3", AddHost{}, "not an IP address"},
	}
	for _, tc := range tests {
		got, err := ParseAddHost(tc.spec)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseAddHost(%q) error %v, want %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseAddHost(%q) = %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
	}
}

func FuzzParseAddHost(f *testing.F) {
	for _, s := range []string{"db:10.1.2.3", "a=::1", "x:host-gateway", "v6:[::1]", ":", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		h, err := ParseAddHost(spec)
		if err != nil {
			return
		}
		// What reaches /etc/hosts is one line of two fields.
		if !aliasRE().MatchString(h.Name) || strings.ContainsAny(h.Name+h.IP, " \t\n\r#") {
			t.Fatalf("%q: name %q", spec, h.Name)
		}
		if h.IP != HostGateway && net.ParseIP(h.IP) == nil {
			t.Fatalf("%q: address %q", spec, h.IP)
		}
	})
}

func TestParseDNS(t *testing.T) {
	tests := []struct {
		servers, search, options []string
		err                      string
	}{
		{[]string{"10.0.0.1", "::1"}, []string{"example.com", ".", "a-b.c_d.test."}, []string{"ndots:2", "edns0", "use-vc"}, ""},
		{[]string{"dns.example.com"}, nil, nil, "--dns"},
		{nil, []string{"bad domain"}, nil, "--dns-search"},
		{nil, []string{"a..b"}, nil, "--dns-search"},
		{nil, []string{""}, nil, "--dns-search"},
		{nil, nil, []string{"ndots:x"}, "--dns-option"},
		{nil, nil, []string{"edns0\nnameserver 1.2.3.4"}, "--dns-option"},
		{nil, nil, []string{""}, "--dns-option"},
	}
	for _, tc := range tests {
		_, err := ParseDNS(tc.servers, tc.search, tc.options)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("ParseDNS(%q, %q, %q) error %v, want %q", tc.servers, tc.search, tc.options, err, tc.err)
		}
	}
}

func FuzzParseDNS(f *testing.F) {
	for _, s := range []string{"10.0.0.1", "example.com", "ndots:2", ".", "a b", "x\ny"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Whatever is accepted stays one word on its resolv.conf line.
		for _, c := range [][3][]string{{{s}, nil, nil}, {nil, {s}, nil}, {nil, nil, {s}}} {
			d, err := ParseDNS(c[0], c[1], c[2])
			if err != nil {
				continue
			}
			for _, v := range append(append(append([]string{}, d.Servers...), d.Search...), d.Options...) {
				if v == "" || strings.ContainsAny(v, " \t\n\r#;") {
					t.Fatalf("%q accepted as %q", s, v)
				}
			}
		}
	})
}

func TestAllocateIP(t *testing.T) {
	p := testAddrs(t, "10.1.0.0/29")
	tests := []struct {
		owner, ip, want, err string
	}{
		{"a", "10.1.0.5", "10.1.0.5", ""},
		{"a", "10.1.0.6", "10.1.0.5", ""}, // a keeps what it holds
		{"b", "10.1.0.5", "", "already in use by container a"},
		{"b", "10.1.0.1", "", "gateway"},
		{"b", "10.1.0.0", "", "not a host address"},
		{"b", "10.1.0.7", "", "not a host address"},
		{"b", "10.1.1.2", "", "outside"},
		{"b", "10.1.0.2", "10.1.0.2", ""},
	}
	for _, tc := range tests {
		got, err := p.allocate(tc.owner, net.ParseIP(tc.ip))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("AllocateIP(%s, %s) error %v, want %q", tc.owner, tc.ip, err, tc.err)
			}
			continue
		}
		if err != nil || got.String() != tc.want {
			t.Errorf("AllocateIP(%s, %s) = %v, %v; want %s", tc.owner, tc.ip, got, err, tc.want)
		}
	}
	// A fixed address is not handed out to others.
	if ip, err := p.allocate("c", nil); err != nil || ip.String() != "10.1.0.3" {
		t.Errorf("Allocate after fixed ones = %v, %v", ip, err)
	}
}
