package utils

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// EscapeControl makes s safe to print on a terminal: control characters
// (C0, DEL, C1) and bytes that are not UTF-8 are shown as \xNN or \uNNNN,
// so a container's output cannot retitle, clear or reprogram the terminal
// of whoever reads its logs. Newlines, tabs and a carriage return that
// ends a line (a -t container's line ending) are kept.
func EscapeControl(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r == '\r' && strings.HasPrefix(s[i+1:], "\n"):
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
