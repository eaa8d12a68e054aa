package network

import (
	"net"
	"os"
	"strings"
	"testing"
)

func TestParsePort(t *testing.T) {
	tests := []struct {
		spec string
		want PortMapping
		err  string
	}{
		{"8080:80", PortMapping{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}, ""},
		{"8080:80/tcp", PortMapping{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}, ""},
		{"53:53/udp", PortMapping{HostPort: 53, ContainerPort: 53, Protocol: "udp"}, ""},
		{"65535:1", PortMapping{HostPort: 65535, ContainerPort: 1, Protocol: "tcp"}, ""},
		{"127.0.0.1:8080:80", PortMapping{HostPort: 8080, ContainerPort: 80, Protocol: "tcp", HostIP: "127.0.0.1"}, ""},
		{"10.1.2.3:53:53/udp", PortMapping{HostPort: 53, ContainerPort: 53, Protocol: "udp", HostIP: "10.1.2.3"}, ""},
		{"0.0.0.0:8080:80", PortMapping{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}, ""},
		{"80", PortMapping{}, "want [HOST_IP:]HOST:CONTAINER"},
		{"1:2:3", PortMapping{}, "not an IPv4 address"},
		{"1.2.3.4:5:6:7", PortMapping{}, "want [HOST_IP:]HOST:CONTAINER"},
		{"::1:80:80", PortMapping{}, "not an IPv4 address"},
		{"[::1]:80:80", PortMapping{}, "not an IPv4 address"},
		{":80:80", PortMapping{}, "not an IPv4 address"},
		{"localhost:80:80", PortMapping{}, "not an IPv4 address"},
		{"127.0.0.1::80", PortMapping{}, "not a number"},
		{"0:80", PortMapping{}, "between 1 and 65535"},
		{"65536:80", PortMapping{}, "between 1 and 65535"},
		{"a:80", PortMapping{}, "not a number"},
		{"80:", PortMapping{}, "not a number"},
		{"+80:80", PortMapping{}, "not a number"},
		{"80:80/sctp", PortMapping{}, "tcp or udp"},
		{"80:80/", PortMapping{}, "tcp or udp"},
		{"", PortMapping{}, "want [HOST_IP:]HOST:CONTAINER"},
	}
	for _, tc := range tests {
		got, err := ParsePort(tc.spec)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), tc.spec) {
				t.Errorf("ParsePort(%q) error %v, want %q naming the spec", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParsePort(%q) = %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
	}
	if _, err := ParsePorts([]string{"80:80", "80:81"}); err == nil {
		t.Error("one host port published twice was accepted")
	}
	if p, err := ParsePorts([]string{"80:80", "80:80/udp"}); err != nil || len(p) != 2 {
		t.Errorf("tcp and udp on one port: %v %v", p, err)
	}
}

func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"8080:80", "53:53/udp", "1:2:3", "0:0", "80:80/sctp", "127.0.0.1:80:80", "::1:80:80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		p, err := ParsePort(spec)
		if err != nil {
			return
		}
		if p.HostPort < 1 || p.HostPort > 65535 || p.ContainerPort < 1 || p.ContainerPort > 65535 {
			t.Fatalf("%q: port out of range %+v", spec, p)
		}
		if p.Protocol != "tcp" && p.Protocol != "udp" {
			t.Fatalf("%q: protocol %q", spec, p.Protocol)
		}
		if ip := net.ParseIP(p.HostIP); p.HostIP != "" && (ip == nil || ip.To4() == nil || ip.IsUnspecified() || ip.String() != p.HostIP) {
			t.Fatalf("%q: host address %q", spec, p.HostIP)
		}
		// What is accepted prints back to an equivalent spec.
		again, err := ParsePort(strings.Replace(p.String(), "->", ":", 1))
		if err != nil || again != p {
			t.Fatalf("%q: round trip %+v -> %+v, %v", spec, p, again, err)
		}
	})
}

func TestEtcFiles(t *testing.T) {
	h := HostsFile("10.0.0.2", "abc123", "web")
	if !strings.Contains(h, "127.0.0.1\tlocalhost") || !strings.Contains(h, "10.0.0.2\tabc123 web\n") {
		t.Errorf("hosts %q", h)
	}
	if h := HostsFile("", "abc", "abc"); !strings.Contains(h, "127.0.1.1\tabc\n") {
		t.Errorf("hosts without network %q", h)
	}
}

func TestResolvConfDropsLoopback(t *testing.T) {
	p := t.TempDir() + "/resolv.conf"
	content := "# comment\nnameserver 127.0.0.53\nnameserver ::1\nnameserver 10.1.1.1\nsearch example.com\noptions edns0\n"
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "nameserver 10.1.1.1\nsearch example.com\noptions edns0\n"
	if got := ResolvConf(p); got != want {
		t.Errorf("ResolvConf = %q, want %q", got, want)
	}
}
