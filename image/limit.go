package image

import (
	"archive/tar"
	"mydocker/utils"
	"os"

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
			utils.FormatSize(b.Limit), hdr.Name, MaxSizeEnv)
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
	n, err := utils.ParseSize(v)
	return n, errors.Wrap(err, MaxSizeEnv)
}

// isRegular: a regular file's entry, sparse ones included (the tar reader
// gives an old GNU sparse entry, type 'S', its full content with holes as
// zeros).
func isRegular(typ byte) bool {
	return typ == tar.TypeReg || typ == tar.TypeRegA || typ == tar.TypeGNUSparse
}
