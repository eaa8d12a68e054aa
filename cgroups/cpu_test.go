package cgroups

import "testing"

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

func FuzzParseCPU(f *testing.F) {
	for _, s := range limitSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if q, err := ParseCPUs(s, 2); err == nil && (q < minQuota || q > 2*DefaultCPUPeriod) {
			t.Fatalf("ParseCPUs(%q) = %d out of range", s, q)
		}
		if q, err := ParseCPUPercent(s, 2); err == nil && (q < minQuota || q > 2*DefaultCPUPeriod) {
			t.Fatalf("ParseCPUPercent(%q) = %d out of range", s, q)
		}
	})
}
