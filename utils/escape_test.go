package utils

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscapeControl(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text\n", "plain text\n"},
		{"tab\there\n", "tab\there\n"},
		{"crlf\r\n", "crlf\r\n"},
		{"over\rwrite", `over\x0dwrite`},
		{"\x1b]0;pwned\x07\x1b[2J", `\x1b]0;pwned\x07\x1b[2J`},
		{"del\x7f", `del\x7f`},
		{"csi\u009b2J", `csi\u009b2J`},
		{"raw c1 \x9b", `raw c1 \x9b`},
		{"héllo wörld ✓", "héllo wörld ✓"},
		{"nul\x00", `nul\x00`},
		{"", ""},
	} {
		if got := EscapeControl(tc.in); got != tc.want {
			t.Errorf("EscapeControl(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzEscapeControl checks that nothing a terminal acts on survives, and
// that text without control characters passes unchanged.
func FuzzEscapeControl(f *testing.F) {
	for _, s := range []string{"a\n", "\x1b[2J", "\r", "\r\n", "\xc2\x9b", "\xff", "ok\t✓"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := EscapeControl(s)
		if !utf8.ValidString(out) {
			t.Fatalf("EscapeControl(%q) = %q: not UTF-8", s, out)
		}
		for i, r := range out {
			switch {
			case r == '\n' || r == '\t':
			case r == '\r':
				if !strings.HasPrefix(out[i+1:], "\n") {
					t.Fatalf("EscapeControl(%q) = %q: bare CR", s, out)
				}
			case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
				t.Fatalf("EscapeControl(%q) = %q: control %U", s, out, r)
			}
		}
		clean := utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
			return (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f)
		})
		if clean && out != s {
			t.Fatalf("EscapeControl(%q) = %q: changed clean text", s, out)
		}
	})
}
