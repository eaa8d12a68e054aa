package utils

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"1048576", 1 << 20}, {"512m", 512 << 20}, {"64G", 64 << 30}, {"2GiB", 2 << 30}, {"3kb", 3 << 10},
		{"1t", 1 << 40}, {" 7 ", 7}, {"0", -1}, {"-1g", -1}, {"", -1}, {"g", -1}, {"1.5g", -1},
		{"9223372036854775807", 1<<63 - 1}, {"8388608t", -1}, {"1x", -1}, {"10ib", -1}, {"10i", -1},
		{"1mib", 1 << 20}, {"5b", 5}, {"1bb", -1},
	}
	for _, tc := range tests {
		got, err := ParseSize(tc.in)
		if tc.want < 0 {
			if err == nil {
				t.Errorf("ParseSize(%q) = %d, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"64g", "1", "2GiB", "-1", "9223372036854775807t", "kb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n <= 0 {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
		if back, err := ParseSize(FormatSize(n)); err != nil || back != n {
			t.Fatalf("%d -> %q -> %d, %v", n, FormatSize(n), back, err)
		}
	})
}
