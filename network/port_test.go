package network

import (
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParsePort(t *testing.T) {
	tcp := func(h, c int, ip string) PortMapping {
		return PortMapping{HostPort: h, ContainerPort: c, Protocol: "tcp", HostIP: ip}
	}
	tests := []struct {
		spec string
		want []PortMapping
		err  string
	}{
		{"8080:80", []PortMapping{tcp(8080, 80, "")}, ""},
		{"8080:80/tcp", []PortMapping{tcp(8080, 80, "")}, ""},
		{"53:53/udp", []PortMapping{{HostPort: 53, ContainerPort: 53, Protocol: "udp"}}, ""},
		{"65535:1", []PortMapping{tcp(65535, 1, "")}, ""},
		{"127.0.0.1:8080:80", []PortMapping{tcp(8080, 80, "127.0.0.1")}, ""},
		{"10.1.2.3:53:53/udp", []PortMapping{{HostPort: 53, ContainerPort: 53, Protocol: "udp", HostIP: "10.1.2.3"}}, ""},
		{"0.0.0.0:8080:80", []PortMapping{tcp(8080, 80, "")}, ""},
		{"80", []PortMapping{tcp(0, 80, "")}, ""},
		{"80/udp", []PortMapping{{ContainerPort: 80, Protocol: "udp"}}, ""},
		{"127.0.0.1::80", []PortMapping{tcp(0, 80, "127.0.0.1")}, ""},
		{"0.0.0.0::80", []PortMapping{tcp(0, 80, "")}, ""},
		{"8000-8002:9000-9002", []PortMapping{tcp(8000, 9000, ""), tcp(8001, 9001, ""), tcp(8002, 9002, "")}, ""},
		{"7000-7001", []PortMapping{tcp(0, 7000, ""), tcp(0, 7001, "")}, ""},
		{"8000-8002:9000", nil, "same length"},
		{"8000:9000-9001", nil, "same length"},
		{"9-8:9-8", nil, "ends before"},
		{"1-1000", nil, "at most"},
		{"1:2:3", nil, "not an IPv4 address"},
		{"1.2.3.4:5:6:7", nil, "want [[HOST_IP:][HOST]:]CONTAINER"},
		{"::1:80:80", nil, "not an IPv4 address"},
		{"[::1]:80:80", nil, "not an IPv4 address"},
		{":80:80", nil, "not an IPv4 address"},
		{"localhost:80:80", nil, "not an IPv4 address"},
		{":80", nil, "want [[HOST_IP:][HOST]:]CONTAINER"},
		{"0:80", nil, "between 1 and 65535"},
		{"65536:80", nil, "between 1 and 65535"},
		{"a:80", nil, "not a number"},
		{"80:", nil, "not a number"},
		{"+80:80", nil, "not a number"},
		{"80-:80-", nil, "not a number"},
		{"80:80/sctp", nil, "tcp or udp"},
		{"80:80/", nil, "tcp or udp"},
		{"", nil, "not a number"},
	}
	for _, tc := range tests {
		got, err := ParsePort(tc.spec)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), tc.spec) {
				t.Errorf("ParsePort(%q) error %v, want %q naming the spec", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePort(%q) = %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
	}
	if _, err := ParsePorts([]string{"80:80", "80:81"}); err == nil {
		t.Error("one host port published twice was accepted")
	}
	if p, err := ParsePorts([]string{"80:80", "80:80/udp"}); err != nil || len(p) != 2 {
		t.Errorf("tcp and udp on one port: %v %v", p, err)
	}
	if p, err := ParsePorts([]string{"80", "80"}); err != nil || len(p) != 2 {
		t.Errorf("two free host ports for one container port: %v %v", p, err)
	}
}

func TestPublishAll(t *testing.T) {
	exposed := map[string]struct{}{"80/tcp": {}, "53/udp": {}, "443": {}, "9/sctp": {}, "x/tcp": {}, "22/tcp": {}}
	got := PublishAll([]PortMapping{{HostPort: 2222, ContainerPort: 22, Protocol: "tcp"}}, exposed)
	want := []PortMapping{
		{HostPort: 2222, ContainerPort: 22, Protocol: "tcp"},
		{ContainerPort: 53, Protocol: "udp"},
		{ContainerPort: 80, Protocol: "tcp"},
		{ContainerPort: 443, Protocol: "tcp"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PublishAll = %+v, want %+v", got, want)
	}
}

func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"8080:80", "53:53/udp", "1:2:3", "0:0", "80:80/sctp", "127.0.0.1:80:80", "::1:80:80", "80", "1.2.3.4::80", "1-3:4-6", "5-9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		ps, err := ParsePort(spec)
		if err != nil {
			return
		}
		if len(ps) == 0 || len(ps) > maxPortRange {
			t.Fatalf("%q: %d mappings", spec, len(ps))
		}
		for _, p := range ps {
			if p.HostPort < 0 || p.HostPort > 65535 || p.ContainerPort < 1 || p.ContainerPort > 65535 {
				t.Fatalf("%q: port out of range %+v", spec, p)
			}
			if p.Protocol != "tcp" && p.Protocol != "udp" {
				t.Fatalf("%q: protocol %q", spec, p.Protocol)
			}
			if ip := net.ParseIP(p.HostIP); p.HostIP != "" && (ip == nil || ip.To4() == nil || ip.IsUnspecified() || ip.String() != p.HostIP) {
				t.Fatalf("%q: host address %q", spec, p.HostIP)
			}
			// What is accepted prints back to an equivalent spec.
			back := p.String()
			if p.HostPort == 0 {
				back = p.HostIP + "::" + strconv.Itoa(p.ContainerPort) + "/" + p.Protocol
				if p.HostIP == "" {
					back = strconv.Itoa(p.ContainerPort) + "/" + p.Protocol
				}
			}
			again, err := ParsePort(strings.Replace(back, "->", ":", 1))
			if err != nil || len(again) != 1 || again[0] != p {
				t.Fatalf("%q: round trip %+v -> %+v, %v", spec, p, again, err)
			}
		}
	})
}

func TestEtcFiles(t *testing.T) {
	h := HostsFile(EtcConfig{IP: net.ParseIP("10.0.0.2"), Hostname: "abc123", Name: "web",
		ExtraHosts: []AddHost{{Name: "db", IP: "10.9.9.9"}}})
	if !strings.Contains(h, "127.0.0.1\tlocalhost") || !strings.Contains(h, "10.0.0.2\tabc123 web\n") || !strings.Contains(h, "10.9.9.9\tdb\n") {
		t.Errorf("hosts %q", h)
	}
	if h := HostsFile(EtcConfig{Hostname: "abc", Name: "abc"}); !strings.Contains(h, "127.0.1.1\tabc\n") {
		t.Errorf("hosts without network %q", h)
	}
}

func TestResolvConf(t *testing.T) {
	p := t.TempDir() + "/resolv.conf"
	content := "# comment\nnameserver 127.0.0.53\nnameserver ::1\nnameserver 10.1.1.1\nsearch example.com\noptions edns0\nsortlist 10.0.0.0\n"
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	onlyLoopback := t.TempDir() + "/resolv.conf"
	if err := os.WriteFile(onlyLoopback, []byte("nameserver 127.0.0.53\noptions edns0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file string
		dns        DNSConfig
		host       bool
		want       string
	}{
		{"loopback dropped", p, DNSConfig{}, false, "nameserver 10.1.1.1\nsearch example.com\noptions edns0\nsortlist 10.0.0.0\n"},
		{"host network keeps all", p, DNSConfig{}, true, "nameserver 127.0.0.53\nnameserver ::1\nnameserver 10.1.1.1\nsearch example.com\noptions edns0\nsortlist 10.0.0.0\n"},
		{"flags replace", p, DNSConfig{Servers: []string{"10.2.2.2"}, Search: []string{"a.test", "b.test"}, Options: []string{"ndots:2"}}, false,
			"nameserver 10.2.2.2\nsearch a.test b.test\noptions ndots:2\nsortlist 10.0.0.0\n"},
		{"search . means none", p, DNSConfig{Search: []string{"."}}, false, "nameserver 10.1.1.1\noptions edns0\nsortlist 10.0.0.0\n"},
		{"only loopback: Docker's fallback", onlyLoopback, DNSConfig{}, false, "nameserver 8.8.8.8\nnameserver 8.8.4.4\noptions edns0\n"},
		{"no host file", "/nonexistent/resolv.conf", DNSConfig{Servers: []string{"10.3.3.3"}}, false, "nameserver 10.3.3.3\n"},
	}
	for _, tc := range tests {
		if got := ResolvConf(tc.file, tc.dns, tc.host); got != tc.want {
			t.Errorf("%s: ResolvConf = %q, want %q", tc.name, got, tc.want)
		}
	}
}
