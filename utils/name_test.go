package utils

import (
	"regexp"
	"testing"
)

func TestIsName(t *testing.T) {
	for s, want := range map[string]bool{
		"a": true, "web-1": true, "my_app.v2": true, "0": true, "A.b-C_d": true,
		"": false, "-a": false, ".a": false, "_a": false, "a b": false, "a/b": false,
		"a:b": false, "é": false, "aé": false, "a\n": false, "a\x00": false,
	} {
		if got := IsName(s); got != want {
			t.Errorf("IsName(%q) = %v, want %v", s, got, want)
		}
	}
}

// IsName matches what the regular expression it replaced matched.
func FuzzIsName(f *testing.F) {
	re := regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	for _, s := range []string{"a", "a-b", "-a", "", "a\n", "é", "a.b_c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := IsName(s), re.MatchString(s); got != want {
			t.Fatalf("IsName(%q) = %v, the expression says %v", s, got, want)
		}
	})
}
