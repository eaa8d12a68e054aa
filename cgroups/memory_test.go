package cgroups

import (
	"strings"
	"testing"
)

func TestParseMemory(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  string
	}{
		{"32m", 32 << 20, ""}, {"32M", 32 << 20, ""}, {"32mb", 32 << 20, ""}, {"1g", 1 << 30, ""},
		{"1G", 1 << 30, ""}, {"8192k", 8 << 20, ""}, {"8388608", 8 << 20, ""}, {"8388608b", 8 << 20, ""},
		{"0", 0, "want a size"}, {"-5m", 0, "want a size"}, {"m", 0, "want a size"}, {"", 0, "want a size"},
		{"1.5g", 0, "want a size"}, {"10x", 0, "want a size"}, {"1k", 0, "at least 4m"},
		{"99999999999999999g", 0, "want a size"},
	}
	for _, tc := range tests {
		got, err := ParseMemory(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseMemory(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseMemory(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseMemory(f *testing.F) {
	for _, s := range limitSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := ParseMemory(s); err == nil && v < 4<<20 {
			t.Fatalf("ParseMemory(%q) = %d below the minimum", s, v)
		}
	})
}
