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

func TestParseCPUs(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0.5", 50000, true}, {"1", 100000, true}, {"2", 200000, true}, {"1.25", 125000, true},
		{"0.01", 1000, true}, {"0.001", 0, false}, {"3", 0, false}, {"0", 0, false},
		{"-1", 0, false}, {"abc", 0, false}, {"NaN", 0, false}, {"Inf", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseCPUs(tc.in, 2)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseCPUs(%q) = %d, %v; want %d ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseCPUPercent(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"20", 20000, true}, {"100", 100000, true}, {"150", 150000, true}, {"200", 200000, true},
		{"201", 0, false}, {"0", 0, false}, {"-3", 0, false}, {"2.5", 0, false}, {"x", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseCPUPercent(tc.in, 2)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseCPUPercent(%q) = %d, %v; want %d ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseCpuset(t *testing.T) {
	online := []int{0, 1, 2, 3}
	tests := []struct {
		in, want string
		err      string
	}{
		{"0", "0", ""}, {"0-1", "0-1", ""}, {"3,0-1", "0-1,3", ""}, {"0,1,2", "0-2", ""}, {"1-1", "1", ""},
		{"4", "", "CPU 4 does not exist"}, {"0-7", "", "does not exist"}, {"", "", "want a CPU list"},
		{"a", "", "want a CPU list"}, {"2-1", "", "want a CPU list"}, {"-1", "", "want a CPU list"},
		{"0,,1", "", "want a CPU list"},
	}
	for _, tc := range tests {
		got, err := ParseCpuset(tc.in, online)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseCpuset(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseCpuset(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParsePidsLimit(t *testing.T) {
	for in, ok := range map[string]bool{"1": true, "100": true, "0": false, "-1": false, "x": false, "": false} {
		if _, err := ParsePidsLimit(in); (err == nil) != ok {
			t.Errorf("ParsePidsLimit(%q) error %v, want ok=%v", in, err, ok)
		}
	}
}

func FuzzParseLimits(f *testing.F) {
	for _, s := range []string{"32m", "0.5", "20", "0-1,3", "1g", "-1", "1e9"} {
		f.Add(s)
	}
	online := []int{0, 1}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := ParseMemory(s); err == nil && v < 4<<20 {
			t.Fatalf("ParseMemory(%q) = %d below the minimum", s, v)
		}
		if q, err := ParseCPUs(s, 2); err == nil && (q < minQuota || q > 2*DefaultCPUPeriod) {
			t.Fatalf("ParseCPUs(%q) = %d out of range", s, q)
		}
		if q, err := ParseCPUPercent(s, 2); err == nil && (q < minQuota || q > 2*DefaultCPUPeriod) {
			t.Fatalf("ParseCPUPercent(%q) = %d out of range", s, q)
		}
		if c, err := ParseCpuset(s, online); err == nil && c != "0" && c != "1" && c != "0-1" {
			t.Fatalf("ParseCpuset(%q) = %q names CPUs that are not online", s, c)
		}
	})
}
