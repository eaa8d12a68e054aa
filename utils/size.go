package utils

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// sizeRE is a count of bytes with an optional binary unit: 1048576, 512m,
// 64G, 2GiB, 3kb, 10b.
var sizeRE = LazyRegexp(`^([0-9]+)(?:([kmgt])(?:i?b)?|b)?$`)

// ParseSize parses a size in bytes with an optional binary unit: k, m, g
// or t, in any case, optionally followed by b or ib (512m, 64G, 2GiB,
// 1048576). It is the one size parser behind --memory, --log-opt max-size
// and the image size limit.
func ParseSize(s string) (int64, error) {
	m := sizeRE().FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	bad := errors.Errorf("invalid size %q: want a positive number of bytes such as 512m or 64g", s)
	if m == nil {
		return 0, bad
	}
	shift := 0
	if m[2] != "" {
		shift = 10 * (strings.IndexByte("kmgt", m[2][0]) + 1)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64>>shift {
		return 0, bad
	}
	return n << shift, nil
}

// FormatSize prints a byte count in the binary unit ParseSize reads back.
func FormatSize(n int64) string {
	for _, u := range []struct {
		shift uint
		name  string
	}{{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d%s", n>>u.shift, u.name)
		}
	}
	return fmt.Sprintf("%dB", n)
}

// DecimalSize prints a byte count as Docker shows sizes: decimal units (kB,
// MB, GB), the number printed with the float format given ("%.3g" in image
// lists, "%.1f" in progress lines), whole bytes as "512B".
func DecimalSize(n int64, format string) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%dB", n)
	}
	return fmt.Sprintf(format+"%s", f, units[i])
}
