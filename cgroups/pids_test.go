package cgroups

import "testing"

func TestParsePidsLimit(t *testing.T) {
	for in, ok := range map[string]bool{"1": true, "100": true, "0": false, "-1": true, "-2": false, "x": false, "": false} {
		if _, err := ParsePidsLimit(in); (err == nil) != ok {
			t.Errorf("ParsePidsLimit(%q) error %v, want ok=%v", in, err, ok)
		}
	}
}

func FuzzParsePidsLimit(f *testing.F) {
	for _, s := range limitSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := ParsePidsLimit(s); err == nil && n <= 0 && n != -1 {
			t.Fatalf("ParsePidsLimit(%q) = %d, neither positive nor -1", s, n)
		}
	})
}
