package utils

import (
	"regexp"
	"strings"
	"testing"
)

func TestIsLowerHex(t *testing.T) {
	id := strings.Repeat("0123456789abcdef", 4)
	for _, tc := range []struct {
		s        string
		min, max int
		want     bool
	}{
		{id, 64, 64, true},
		{id[:63], 64, 64, false},
		{id + "0", 64, 64, false},
		{strings.ToUpper(id), 64, 64, false},
		{"", 1, 11, false},
		{"a", 1, 11, true},
		{"abcdef01234", 1, 11, true},
		{"abcdef012345", 1, 11, false},
		{"abcg", 1, 11, false},
		{"ab/c", 1, 11, false},
	} {
		if got := IsLowerHex(tc.s, tc.min, tc.max); got != tc.want {
			t.Errorf("IsLowerHex(%q, %d, %d) = %v", tc.s, tc.min, tc.max, got)
		}
	}
}

// It agrees with the regular expression it replaces.
func FuzzIsLowerHex(f *testing.F) {
	for _, s := range []string{"", "a", strings.Repeat("f", 64), "0g", "ABC"} {
		f.Add(s)
	}
	re := regexp.MustCompile(`^[0-9a-f]{1,64}$`)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := IsLowerHex(s, 1, 64), re.MatchString(s); got != want {
			t.Fatalf("IsLowerHex(%q) = %v, the regexp says %v", s, got, want)
		}
	})
}

// NewID is 64 lowercase hex digits and never repeats.
func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := NewID()
		if len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Fatalf("NewID() = %q: want 64 hex digits", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
}
