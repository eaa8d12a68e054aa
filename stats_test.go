package main

import "testing"

func TestParseNetDev(t *testing.T) {
	header := "Inter-|   Receive                                                |  Transmit\n" +
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
	tests := []struct {
		name, in string
		want     netIO
	}{
		{"eth0 counted, lo not", header +
			"    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0\n" +
			"  eth0:    2048      20    0    0    0     0          0         0      512       5    0    0    0     0       0          0\n", netIO{2048, 512}},
		{"two interfaces", header +
			"  eth0:1 0 0 0 0 0 0 0 2 0 0 0 0 0 0 0\n  eth1: 10 0 0 0 0 0 0 0 20 0 0 0 0 0 0 0\n", netIO{11, 22}},
		{"only lo", header + "    lo: 5 0 0 0 0 0 0 0 5 0 0 0 0 0 0 0\n", netIO{}},
		{"short or junk lines", header + "eth0: 1 2 3\nx: a b c d e f g h i\n", netIO{}},
		{"empty", "", netIO{}},
	}
	for _, tc := range tests {
		if got := parseNetDev(tc.in); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestIOSize(t *testing.T) {
	for n, want := range map[uint64]string{0: "0B", 999: "999B", 1000: "1kB", 1234: "1.23kB", 5 << 20: "5.24MB"} {
		if got := ioSize(n); got != want {
			t.Errorf("ioSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func FuzzParseNetDev(f *testing.F) {
	f.Add("  eth0: 1 0 0 0 0 0 0 0 2 0 0 0 0 0 0 0\n")
	f.Fuzz(func(t *testing.T, s string) { parseNetDev(s) })
}
