package network

import (
	"net"
	"strings"
	"testing"
)

func TestParseSubnetOrGateway(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" means refused
		hint     string // part of the error
	}{
		{"192.168.10.1/24", "192.168.10.0/24", ""}, // the series' form: the gateway
		{"192.168.10.0/24", "192.168.10.0/24", ""},
		{"10.20.0.1/16", "10.20.0.0/16", ""},
		{"10.20.30.1/30", "10.20.30.0/30", ""},
		{"192.168.10.7/24", "", "did you mean 192.168.10.0/24 (or 192.168.10.1/24"},
		{"192.168.10.2/24", "", "did you mean"},
		{"10.0.0.1/31", "", "did you mean 10.0.0.0/31?"},
		{"127.0.0.1/8", "", "not a unicast network"},
		{"fd00::1/64", "", "IPv4"},
		{"nonsense", "", "IPv4 CIDR"},
		{"192.168.10.1", "", "IPv4 CIDR"},
	} {
		got, err := ParseSubnetOrGateway(tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%s: accepted as %s", tc.in, got)
		case tc.want == "" && !strings.Contains(err.Error(), tc.hint):
			t.Errorf("%s: error %q, want it to say %q", tc.in, err, tc.hint)
		case tc.want != "" && err != nil:
			t.Errorf("%s: %v", tc.in, err)
		case tc.want != "" && got.String() != tc.want:
			t.Errorf("%s: %s, want %s", tc.in, got, tc.want)
		}
	}
}

// Whatever it is given, ParseSubnetOrGateway returns a network address
// ParseSubnet accepts, containing the address typed.
func FuzzParseSubnetOrGateway(f *testing.F) {
	for _, s := range []string{"192.168.10.1/24", "10.0.0.0/8", "10.0.0.1/31", "1.2.3.4/0", "::1/128", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseSubnetOrGateway(s)
		if err != nil {
			if strings.Count(err.Error(), "\n") > 0 {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if _, err := ParseSubnet(got.String()); err != nil {
			t.Fatalf("%q gave %s, which ParseSubnet refuses: %v", s, got, err)
		}
		ip, _, _ := net.ParseCIDR(s)
		if !got.Contains(ip) {
			t.Fatalf("%q gave %s, which does not contain it", s, got)
		}
	})
}
