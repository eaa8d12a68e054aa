// Package image is the image store: <root>/image/<name>.tar files (the
// blog's layout), unpacked once into a read-only layer cache keyed by the
// tar's sha256 digest so that starting a container never unpacks anything.
package image

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"

	"mydocker/constant"
	"mydocker/utils"
)

// ErrNotFound is returned (wrapped) for an image that does not exist.
var ErrNotFound = errors.New("no such image")

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// ValidateName checks an image name is a plain file name we can store.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) || len(name) > 128 {
		return errors.Errorf("invalid image name %q: use letters, digits, '.', '_' and '-'", name)
	}
	return nil
}

// Store is the image store under one state root.
type Store struct{ layout constant.Layout }

// NewStore returns the store for a state root.
func NewStore(root string) *Store { return &Store{layout: constant.Layout{Root: root}} }

// Image is an image ready to run: its layers, bottom first.
type Image struct {
	Name   string
	Digest string   // sha256 of the tar, the content key of its single layer
	Layers []string // unpacked layer directories, lowest first
}

// Summary describes a stored image for `images`.
type Summary struct {
	Name    string    `json:"Name"`
	Size    int64     `json:"Size"`
	Created time.Time `json:"Created"`
}

// TarPath is where image name's tar lives.
func (s *Store) TarPath(name string) string {
	return filepath.Join(s.layout.ImageDir(), name+".tar")
}

// Normalize accepts Docker's name:tag spelling for the implicit latest tag.
func Normalize(ref string) string { return strings.TrimSuffix(ref, ":latest") }

// Exists reports whether the image's tar is present.
func (s *Store) Exists(ref string) bool {
	_, err := os.Stat(s.TarPath(Normalize(ref)))
	return err == nil
}

// indexEntry remembers which digest a tar had, so a tar whose size, mtime
// and inode are unchanged is not hashed again on every run.
type indexEntry struct {
	Size   int64  `json:"size"`
	MtimeN int64  `json:"mtime_ns"`
	Ino    uint64 `json:"ino"`
	Digest string `json:"digest"`
}

func (s *Store) indexPath(name string) string {
	return filepath.Join(s.layout.LayerDir(), "by-name", name+".json")
}

func (s *Store) layerPath(digest string) string {
	return filepath.Join(s.layout.LayerDir(), "sha256", digest)
}

// Get resolves an image reference to unpacked layers, unpacking the tar into
// the cache the first time (or after the tar changed).
func (s *Store) Get(ref string) (*Image, error) {
	name := Normalize(ref)
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	tarPath := s.TarPath(name)
	st, err := os.Stat(tarPath)
	if os.IsNotExist(err) {
		return nil, errors.Wrapf(ErrNotFound, "image %q (no %s)", ref, tarPath)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "stat image %s", tarPath)
	}
	key := indexEntry{Size: st.Size(), MtimeN: st.ModTime().UnixNano(), Ino: st.Sys().(*syscall.Stat_t).Ino}
	if digest, ok := s.cachedDigest(name, key); ok {
		return &Image{Name: name, Digest: digest, Layers: []string{s.layerPath(digest)}}, nil
	}
	lock, err := utils.Lock(filepath.Join(s.layout.LayerDir(), "lock"))
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if digest, ok := s.cachedDigest(name, key); ok { // another process just did it
		return &Image{Name: name, Digest: digest, Layers: []string{s.layerPath(digest)}}, nil
	}
	digest, err := s.unpack(tarPath)
	if err != nil {
		return nil, errors.Wrapf(err, "unpack image %s", name)
	}
	key.Digest = digest
	data, err := json.Marshal(key)
	if err != nil {
		return nil, errors.Wrap(err, "encode image index")
	}
	if err := os.MkdirAll(filepath.Dir(s.indexPath(name)), 0o700); err != nil {
		return nil, errors.Wrap(err, "create image index dir")
	}
	if err := utils.WriteFileAtomic(s.indexPath(name), data, 0o600); err != nil {
		return nil, err
	}
	return &Image{Name: name, Digest: digest, Layers: []string{s.layerPath(digest)}}, nil
}

func (s *Store) cachedDigest(name string, key indexEntry) (string, bool) {
	data, err := os.ReadFile(s.indexPath(name))
	if err != nil {
		return "", false
	}
	var e indexEntry
	if json.Unmarshal(data, &e) != nil {
		return "", false
	}
	if e.Size != key.Size || e.MtimeN != key.MtimeN || e.Ino != key.Ino || e.Digest == "" {
		return "", false
	}
	if _, err := os.Stat(s.layerPath(e.Digest)); err != nil {
		return "", false
	}
	return e.Digest, true
}

// unpack hashes and extracts tarPath in one pass into a temp directory, then
// renames it to its digest. A layer with that digest already present (the
// same content under another name) is reused.
func (s *Store) unpack(tarPath string) (string, error) {
	f, err := os.Open(tarPath)
	if err != nil {
		return "", errors.Wrap(err, "open image")
	}
	defer f.Close()
	if err := os.MkdirAll(filepath.Join(s.layout.LayerDir(), "sha256"), 0o700); err != nil {
		return "", errors.Wrap(err, "create layer dir")
	}
	tmp, err := os.MkdirTemp(s.layout.LayerDir(), "unpack-")
	if err != nil {
		return "", errors.Wrap(err, "create unpack dir")
	}
	defer os.RemoveAll(tmp) // nothing is ever mounted here
	h := sha256.New()
	if err := Unpack(io.TeeReader(f, h), tmp); err != nil {
		return "", err
	}
	// Hash any trailing padding the tar reader did not consume.
	if _, err := io.Copy(h, f); err != nil {
		return "", errors.Wrap(err, "read image")
	}
	digest := hex.EncodeToString(h.Sum(nil))
	dst := s.layerPath(digest)
	if _, err := os.Stat(dst); err == nil {
		return digest, nil
	}
	if err := os.Rename(tmp, dst); err != nil {
		return "", errors.Wrap(err, "store layer")
	}
	log.Debugf("unpacked %s into layer %s", tarPath, dst)
	return digest, nil
}

// List returns the stored images, sorted by name.
func (s *Store) List() ([]Summary, error) {
	entries, err := os.ReadDir(s.layout.ImageDir())
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrap(err, "read image dir")
	}
	var out []Summary
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".tar")
		if !ok || e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed while we listed
		}
		out = append(out, Summary{Name: name, Size: fi.Size(), Created: fi.ModTime()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Remove deletes an image's tar and index entry. Cached layers stay: another
// image may share them, and they cost nothing at start.
func (s *Store) Remove(ref string) error {
	name := Normalize(ref)
	if err := ValidateName(name); err != nil {
		return err
	}
	if err := os.Remove(s.TarPath(name)); err != nil {
		if os.IsNotExist(err) {
			return errors.Wrapf(ErrNotFound, "image %q", ref)
		}
		return errors.Wrapf(err, "remove image %s", name)
	}
	if err := os.Remove(s.indexPath(name)); err != nil && !os.IsNotExist(err) {
		return errors.Wrapf(err, "remove index of image %s", name)
	}
	return nil
}

// Writer returns a temp file in the image dir; Commit renames it into place
// as image name, so a half-written image is never visible.
func (s *Store) Writer() (*os.File, error) {
	if err := os.MkdirAll(s.layout.ImageDir(), 0o755); err != nil {
		return nil, errors.Wrap(err, "create image dir")
	}
	f, err := os.CreateTemp(s.layout.ImageDir(), ".incoming-*.tar")
	return f, errors.Wrap(err, "create temp image")
}

// Commit fsyncs and renames a file from Writer into place as image name.
func (s *Store) Commit(f *os.File, name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return errors.Wrap(err, "fsync image")
	}
	if err := f.Close(); err != nil {
		return errors.Wrap(err, "close image")
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return errors.Wrap(err, "chmod image")
	}
	if err := os.Rename(f.Name(), s.TarPath(name)); err != nil {
		return errors.Wrap(err, "store image")
	}
	return utils.SyncDir(s.layout.ImageDir())
}

// Import copies a tar file into the store as image name.
func (s *Store) Import(file, name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	src, err := os.Open(file)
	if err != nil {
		return errors.Wrap(err, "open import file")
	}
	defer src.Close()
	f, err := s.Writer()
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			if err := os.Remove(f.Name()); err != nil && !os.IsNotExist(err) {
				log.Warnf("remove partial image %s: %v", f.Name(), err)
			}
		}
	}()
	if _, err := io.Copy(f, src); err != nil {
		return errors.Wrapf(err, "copy %s", file)
	}
	if err := checkTar(f.Name()); err != nil {
		return errors.Wrapf(err, "%s is not a tar archive", file)
	}
	if err := s.Commit(f, name); err != nil {
		return err
	}
	ok = true
	return nil
}

// checkTar reads every header of a tar to make sure it is one.
func checkTar(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	n := 0
	for {
		_, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("no entries")
	}
	return nil
}
