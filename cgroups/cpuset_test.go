package cgroups

import (
	"strings"
	"testing"
)

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

func FuzzParseCpuset(f *testing.F) {
	for _, s := range limitSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		online := []int{0, 1}
		if c, err := ParseCpuset(s, online); err == nil && c != "0" && c != "1" && c != "0-1" {
			t.Fatalf("ParseCpuset(%q) = %q names CPUs that are not online", s, c)
		}
	})
}
