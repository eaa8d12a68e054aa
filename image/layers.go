//go:build !notransfer

package image

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
)

// maxTrailer bounds what may follow a tar's end-of-archive blocks.
const maxTrailer = 1 << 20

// storedLayer is what storeLayer wrote.
type storedLayer struct {
	Digest     v1.Hash // of the blob as received (compressed or not)
	DiffID     v1.Hash // of the uncompressed tar
	Size       int64   // of the blob
	DiffSize   int64   // of the uncompressed tar
	Compressed string  // "gzip", "zstd" or ""
}

// storeLayer reads a layer blob once: it is written to the blob store
// and, decompressed, unpacked into a new layer directory, in one pass.
// Both are checked against the digests the manifest and the image config
// give (a zero hash checks nothing) before either takes its final name;
// on any error nothing but temporaries the next command sweeps is left.
func (s *Store) storeLayer(r io.Reader, wantDigest, wantDiffID v1.Hash, limit int64) (storedLayer, error) {
	var out storedLayer
	blob, err := s.newBlobWriter()
	if err != nil {
		return out, err
	}
	defer blob.Close()
	br := bufio.NewReaderSize(io.TeeReader(r, blob), 1<<20)
	raw, kind, err := decompress(br)
	if err != nil {
		return out, err
	}
	defer raw.Close()
	out.Compressed = kind
	if err := os.MkdirAll(filepath.Join(s.layout.LayerDir(), "sha256"), 0o700); err != nil {
		return out, errors.Wrap(err, "create layer dir")
	}
	name, err := tempName(unpackPrefix)
	if err != nil {
		return out, err
	}
	tmp := filepath.Join(s.layout.LayerDir(), name)
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return out, errors.Wrap(err, "create unpack dir")
	}
	defer os.RemoveAll(tmp) // nothing is ever mounted here
	h := sha256.New()
	counted := &countingReader{r: raw}
	// A layer already unpacked (from another image, or an earlier blob
	// of it) is only hashed: the blob is what is missing.
	exists := wantDiffID != (v1.Hash{}) && s.hasLayer(wantDiffID)
	if !exists {
		if err := Unpack(io.TeeReader(counted, h), tmp, limit); err != nil {
			return out, err
		}
	}
	// The diff ID covers the whole stream, the padding after the tar's
	// end included; the blob digest covers every byte received.
	// The padding is bounded unless the whole stream is hashed anyway:
	// `import /dev/zero` must end.
	rest := io.Reader(counted)
	if !exists {
		rest = io.LimitReader(counted, maxTrailer+1)
	}
	if n, err := io.Copy(h, rest); err != nil {
		return out, errors.Wrap(err, "read layer")
	} else if !exists && n > maxTrailer {
		return out, errors.New("not a tar archive: data after its end")
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(br, maxTrailer+1)); err != nil {
		return out, errors.Wrap(err, "read layer")
	}
	out.DiffID = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
	out.DiffSize = counted.n
	if wantDiffID != (v1.Hash{}) && out.DiffID != wantDiffID {
		return out, errors.Errorf("layer content does not match the image config: diff ID %s, want %s", out.DiffID, wantDiffID)
	}
	out.Size = blob.n
	if out.Digest, err = blob.Commit(wantDigest); err != nil {
		return out, errors.Wrap(err, "layer blob")
	}
	dst := s.LayerPath(out.DiffID)
	if exists {
		return out, nil
	}
	if err := os.Rename(tmp, dst); err != nil {
		if s.hasLayer(out.DiffID) { // another process stored it meanwhile
			return out, nil
		}
		return out, errors.Wrap(err, "store layer")
	}
	log.Debugf("unpacked layer %s", dst)
	return out, nil
}

// decompress sniffs a layer's compression from its first bytes, as Docker
// does rather than trusting a media type.
func decompress(br *bufio.Reader) (io.ReadCloser, string, error) {
	magic, err := br.Peek(4)
	if err != nil && err != io.EOF {
		return nil, "", errors.Wrap(err, "read layer")
	}
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "", errors.Wrap(err, "layer is not valid gzip")
		}
		return zr, "gzip", nil
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, "", errors.Wrap(err, "layer is not valid zstd")
		}
		return zr.IOReadCloser(), "zstd", nil
	}
	return io.NopCloser(br), "", nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
