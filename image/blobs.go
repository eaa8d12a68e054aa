package image

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/pkg/errors"
)

// blobPrefix names, in <root>/blobs, a blob being written.
const blobPrefix = "incoming-"

func (s *Store) blobDir() string { return filepath.Join(s.layout.Root, "blobs") }

// BlobPath is where the blob with digest h lives once complete.
func (s *Store) BlobPath(h v1.Hash) string {
	return filepath.Join(s.blobDir(), h.Algorithm, h.Hex)
}

func (s *Store) hasBlob(h v1.Hash) bool {
	_, err := os.Stat(s.BlobPath(h))
	return err == nil
}

func (s *Store) readBlob(h v1.Hash) ([]byte, error) {
	b, err := os.ReadFile(s.BlobPath(h))
	return b, errors.Wrapf(err, "read blob %s", h)
}

// blobWriter writes a blob to a temporary file, hashing it on the way, and
// gives it its digest's name only once it is whole and verified: a blob
// under its final name is always complete, whatever was killed mid-way.
type blobWriter struct {
	s    *Store
	f    *os.File
	h    hash.Hash
	n    int64
	done bool
}

func (s *Store) newBlobWriter() (*blobWriter, error) {
	if err := os.MkdirAll(filepath.Join(s.blobDir(), "sha256"), 0o700); err != nil {
		return nil, errors.Wrap(err, "create blob dir")
	}
	name, err := tempName(blobPrefix)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(s.blobDir(), name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, errors.Wrap(err, "create blob")
	}
	return &blobWriter{s: s, f: f, h: sha256.New()}, nil
}

func (b *blobWriter) Write(p []byte) (int, error) {
	n, err := b.f.Write(p)
	b.h.Write(p[:n])
	b.n += int64(n)
	return n, errors.Wrap(err, "write blob")
}

// Digest is the sha256 of what was written so far.
func (b *blobWriter) Digest() v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(b.h.Sum(nil))}
}

// Commit checks the content has digest want (zero: whatever it is) and
// moves it into place, returning its digest.
func (b *blobWriter) Commit(want v1.Hash) (v1.Hash, error) {
	defer b.Close()
	got := b.Digest()
	if want != (v1.Hash{}) && got != want {
		return got, errors.Errorf("digest mismatch: got %s, want %s", got, want)
	}
	if err := b.f.Sync(); err != nil {
		return got, errors.Wrap(err, "sync blob")
	}
	if err := b.f.Close(); err != nil {
		return got, errors.Wrap(err, "close blob")
	}
	if err := os.Rename(b.f.Name(), b.s.BlobPath(got)); err != nil {
		return got, errors.Wrap(err, "store blob")
	}
	b.done = true
	return got, nil
}

// Close discards an uncommitted blob.
func (b *blobWriter) Close() error {
	if !b.done {
		b.done = true
		b.f.Close()
		return os.Remove(b.f.Name())
	}
	return nil
}

// writeBlob stores data as a blob and returns its digest.
func (s *Store) writeBlob(data []byte) (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(data))
	if err != nil {
		return h, err
	}
	if s.hasBlob(h) {
		return h, nil
	}
	w, err := s.newBlobWriter()
	if err != nil {
		return h, err
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return h, err
	}
	return w.Commit(h)
}

// copyBlob stores what r yields as a blob, checking it has digest want.
func (s *Store) copyBlob(r io.Reader, want v1.Hash) (v1.Hash, error) {
	w, err := s.newBlobWriter()
	if err != nil {
		return v1.Hash{}, err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return v1.Hash{}, err
	}
	return w.Commit(want)
}
