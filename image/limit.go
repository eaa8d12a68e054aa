package image

import (
	"archive/tar"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

const (
	// DefaultMaxSize bounds what one image may unpack to: its files'
	// sizes plus a block for every entry. A tar is a stream of claims
	// (a 10 KB archive may declare an 8 EiB sparse file, /dev/zero never
	// ends), so without a bound import and run would fill the disk. 64 GiB
	// is far above any real base image and far below a full disk's worth
	// of damage on most hosts.
	DefaultMaxSize int64 = 64 << 30
	// MaxSizeEnv raises (or lowers) the bound for every command;
	// import --max-size overrides it for one import.
	MaxSizeEnv = "MYDOCKER_MAX_IMAGE_SIZE"
)

// Budget counts what an unpack writes against Limit (<= 0: no limit).
type Budget struct {
	Limit int64
	used  int64
}

// entryCost is what an entry costs besides its content: an inode and a
// directory entry, counted as one tar block, so that millions of empty
// files are bounded too.
const entryCost = 512

// Charge counts hdr's entry, or fails once the total passes the limit.
// A sparse entry counts its full logical size: even written as holes, its
// zeros still have to be read through.
func (b *Budget) Charge(hdr *tar.Header) error {
	n := int64(entryCost)
	if isRegular(hdr.Typeflag) && hdr.Size > 0 {
		n += hdr.Size
	}
	if b.Limit > 0 && (n > b.Limit || b.used > b.Limit-n) {
		return errors.Errorf("image is larger than the %s limit (at %s): raise it with %s or import --max-size",
			FormatSize(b.Limit), hdr.Name, MaxSizeEnv)
	}
	b.used += n
	return nil
}

// MaxSize is the unpack bound from MaxSizeEnv, or DefaultMaxSize.
func MaxSize() (int64, error) {
	v, ok := os.LookupEnv(MaxSizeEnv)
	if !ok || v == "" {
		return DefaultMaxSize, nil
	}
	n, err := ParseSize(v)
	return n, errors.Wrap(err, MaxSizeEnv)
}

// ParseSize parses a size in bytes with an optional binary unit: k, m, g
// or t, in any case, optionally followed by b or ib (512m, 64G, 2GiB,
// 1048576).
func ParseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "b"), "i")
	shift := 0
	if t != "" {
		if i := strings.IndexByte("kmgt", t[len(t)-1]); i >= 0 {
			shift = 10 * (i + 1)
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64>>shift {
		return 0, errors.Errorf("invalid size %q: want a positive number of bytes such as 512m or 64g", s)
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

// isRegular: a regular file's entry, sparse ones included (the tar reader
// gives an old GNU sparse entry, type 'S', its full content with holes as
// zeros).
func isRegular(typ byte) bool {
	return typ == tar.TypeReg || typ == tar.TypeRegA || typ == tar.TypeGNUSparse
}
