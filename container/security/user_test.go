package security

import (
	"strings"
	"testing"
)

func TestParseUserSpec(t *testing.T) {
	tests := []struct {
		in   string
		want UserSpec
		err  string
	}{
		{"", UserSpec{}, ""},
		{"nobody", UserSpec{User: "nobody"}, ""},
		{"1000", UserSpec{User: "1000"}, ""},
		{"1000:1000", UserSpec{User: "1000", Group: "1000"}, ""},
		{"www-data:staff", UserSpec{User: "www-data", Group: "staff"}, ""},
		{"0", UserSpec{User: "0"}, ""},
		{"2147483647", UserSpec{User: "2147483647"}, ""},
		{"2147483648", UserSpec{}, "out of range"},
		{"99999999999999999999", UserSpec{}, "out of range"},
		{"1:4294967295", UserSpec{}, "out of range"},
		{":1000", UserSpec{}, "want user[:group]"},
		{"a:", UserSpec{}, "want user[:group]"},
		{"a:b:c", UserSpec{}, "bad character"},
		{"a b", UserSpec{}, "bad character"},
		{"a\nroot", UserSpec{}, "bad character"},
		{"../x", UserSpec{}, "bad character"},
		{strings.Repeat("a", 257), UserSpec{}, "too long"},
	}
	for _, tc := range tests {
		got, err := ParseUserSpec(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseUserSpec(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseUserSpec(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseUserSpec(f *testing.F) {
	for _, s := range []string{"", "nobody", "1000:1000", "a:b:c", "2147483648", ":1", "x:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		us, err := ParseUserSpec(s)
		if err != nil {
			return
		}
		if s != "" && us.User == "" {
			t.Fatalf("%q: accepted without a user", s)
		}
		for _, p := range []string{us.User, us.Group} {
			if strings.ContainsAny(p, ":\n\x00") {
				t.Fatalf("%q: part %q could split a passwd line", s, p)
			}
			if IsNumericID(p) {
				if _, err := ParseID(p); err != nil {
					t.Fatalf("%q: accepted id %q: %v", s, p, err)
				}
			}
		}
		if joined := us.User + map[bool]string{true: ":" + us.Group, false: ""}[us.Group != ""]; joined != s {
			t.Fatalf("%q parsed as %+v", s, us)
		}
	})
}
