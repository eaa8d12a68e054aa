// Package image is the image store: <root>/image/<name>.tar files (the
// blog's layout), unpacked once into a read-only layer cache keyed by the
// tar's sha256 digest so that starting a container never unpacks anything.
package image

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/sys/mountinfo"
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
type Store struct {
	layout constant.Layout
	// MaxSize bounds what an image may unpack to (0: MaxSizeEnv or
	// DefaultMaxSize).
	MaxSize int64
}

// NewStore returns the store for a state root.
func NewStore(root string) *Store { return &Store{layout: constant.Layout{Root: root}} }

// Image is an image ready to run: its layers, bottom first.
type Image struct {
	ID     string // "sha256:<hex of the config digest>", Docker's image ID
	Name   string
	Digest string    // sha256 of the tar, the content key of its single layer
	Layers []string  // unpacked layer directories, lowest first
	Config v1.Config // the image config's defaults for containers (Entrypoint, Cmd, Env, User...)
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
	s.sweep()
	tarPath := s.TarPath(name)
	key, err := tarKey(tarPath)
	if os.IsNotExist(errors.Cause(err)) {
		return nil, errors.Wrapf(ErrNotFound, "image %q (no %s)", ref, tarPath)
	}
	if err != nil {
		return nil, err
	}
	if digest, ok := s.cachedDigest(name, key); ok {
		return s.image(name, digest), nil
	}
	limit, err := s.maxSize()
	if err != nil {
		return nil, err
	}
	lock, err := s.lockLayers()
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if digest, ok := s.cachedDigest(name, key); ok { // another process just did it
		return s.image(name, digest), nil
	}
	digest, err := s.unpack(tarPath, limit)
	if err != nil {
		return nil, errors.Wrapf(err, "unpack image %s", name)
	}
	if err := s.writeIndex(name, key, digest); err != nil {
		return nil, err
	}
	return s.image(name, digest), nil
}

func (s *Store) image(name, digest string) *Image {
	return &Image{Name: name, Digest: digest, Layers: []string{s.layerPath(digest)}}
}

// tarKey is what the index remembers of an image tar to know it unchanged.
func tarKey(tarPath string) (indexEntry, error) {
	st, err := os.Stat(tarPath)
	if err != nil {
		return indexEntry{}, errors.Wrapf(err, "stat image %s", tarPath)
	}
	return indexEntry{Size: st.Size(), MtimeN: st.ModTime().UnixNano(), Ino: st.Sys().(*syscall.Stat_t).Ino}, nil
}

// writeIndex records that image name, as key describes its tar, is layer digest.
func (s *Store) writeIndex(name string, key indexEntry, digest string) error {
	key.Digest = digest
	data, err := json.Marshal(key)
	if err != nil {
		return errors.Wrap(err, "encode image index")
	}
	if err := os.MkdirAll(filepath.Dir(s.indexPath(name)), 0o700); err != nil {
		return errors.Wrap(err, "create image index dir")
	}
	return utils.WriteFileAtomic(s.indexPath(name), data, 0o600)
}

// lockLayers serializes unpacking and deleting layers.
func (s *Store) lockLayers() (*utils.FileLock, error) {
	return utils.Lock(filepath.Join(s.layout.LayerDir(), "lock"))
}

// maxSize is the bound on what one image may unpack to: MaxSize if set,
// else MaxSizeEnv, else DefaultMaxSize.
func (s *Store) maxSize() (int64, error) {
	if s.MaxSize > 0 {
		return s.MaxSize, nil
	}
	return MaxSize()
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
// same content under another name) is reused. The caller holds the layers
// lock; a SIGKILL leaves only a temp directory the next command sweeps.
func (s *Store) unpack(tarPath string, limit int64) (string, error) {
	f, err := os.Open(tarPath)
	if err != nil {
		return "", errors.Wrap(err, "open image")
	}
	defer f.Close()
	if err := os.MkdirAll(filepath.Join(s.layout.LayerDir(), "sha256"), 0o700); err != nil {
		return "", errors.Wrap(err, "create layer dir")
	}
	name, err := tempName(unpackPrefix)
	if err != nil {
		return "", err
	}
	tmp := filepath.Join(s.layout.LayerDir(), name)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return "", errors.Wrap(err, "create unpack dir")
	}
	defer os.RemoveAll(tmp) // nothing is ever mounted here
	h := sha256.New()
	if err := Unpack(io.TeeReader(f, h), tmp, limit); err != nil {
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
	s.sweep()
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

// Remove deletes an image's tar and index entry. Its layer stays until
// Prune finds nothing uses it.
func (s *Store) Remove(ref string) error {
	name := Normalize(ref)
	if err := ValidateName(name); err != nil {
		return err
	}
	s.sweep()
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

// Prune deletes the unpacked layers that no image refers to and nothing
// uses: inUse are the layer directories of every container (running or
// not: a stopped one starts again from them), and a layer that is a lower
// directory of any overlay mount is kept even if no record names it.
func (s *Store) Prune(inUse []string) error {
	lock, err := s.lockLayers()
	if err != nil {
		return err
	}
	defer lock.Unlock()
	keep := map[string]bool{}
	for _, l := range inUse {
		keep[filepath.Clean(l)] = true
	}
	indexes, err := os.ReadDir(filepath.Dir(s.indexPath("x")))
	if err != nil && !os.IsNotExist(err) {
		return errors.Wrap(err, "read image index")
	}
	for _, e := range indexes {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || ValidateName(name) != nil {
			continue // an atomic write's temp, or not ours
		}
		data, err := os.ReadFile(s.indexPath(name))
		if err != nil {
			return errors.Wrapf(err, "read index of image %s", name)
		}
		var ie indexEntry
		if err := json.Unmarshal(data, &ie); err != nil || ie.Digest == "" {
			continue // no layer to keep for it: Get unpacks it again
		}
		// Even an index whose tar changed since keeps its layer: the
		// image may still be running from it.
		keep[s.layerPath(ie.Digest)] = true
	}
	overlays, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("overlay"))
	if err != nil {
		return errors.Wrap(err, "read /proc/self/mountinfo")
	}
	layers, err := os.ReadDir(filepath.Join(s.layout.LayerDir(), "sha256"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return errors.Wrap(err, "read layers")
	}
	for _, l := range layers {
		p := s.layerPath(l.Name())
		if keep[p] || mountedAsLower(overlays, p) {
			continue
		}
		if err := s.removeLayer(p); err != nil {
			return err
		}
	}
	return nil
}

// mountedAsLower reports whether layer is a lower directory of a mount.
func mountedAsLower(mounts []*mountinfo.Info, layer string) bool {
	for _, m := range mounts {
		for _, opt := range strings.Split(m.VFSOptions, ",") {
			if v, ok := strings.CutPrefix(opt, "lowerdir="); ok {
				for _, dir := range strings.Split(v, ":") {
					if filepath.Clean(dir) == layer {
						return true
					}
				}
			}
		}
	}
	return false
}

// removeLayer first renames the layer to a temporary, so that a SIGKILL
// mid-way leaves something the next command sweeps rather than a partial
// layer the cache would take for a whole one.
func (s *Store) removeLayer(layer string) error {
	name, err := tempName(unpackPrefix)
	if err != nil {
		return err
	}
	tmp := filepath.Join(s.layout.LayerDir(), name)
	if err := os.Rename(layer, tmp); err != nil {
		return errors.Wrapf(err, "remove layer %s", filepath.Base(layer))
	}
	log.Debugf("removing unused layer %s", layer)
	return errors.Wrapf(utils.RemoveAllUnmounted(tmp), "remove layer %s", filepath.Base(layer))
}

// Import copies a tar file into the store as image name and unpacks it, so
// that a bad or oversized archive fails here, in one line, and the first
// run starts at once. Reading stops at the first block that is not a tar
// header, and at the size bound: `import /dev/zero` ends at once.
func (s *Store) Import(file, name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	limit, err := s.maxSize()
	if err != nil {
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
	defer s.Discard(f)
	if err := copyTar(f, src, limit); err != nil {
		return errors.Wrapf(err, "import %s", file)
	}
	lock, err := s.lockLayers()
	if err != nil {
		return err
	}
	defer lock.Unlock()
	digest, err := s.unpack(f.Name(), limit)
	if err != nil {
		return errors.Wrapf(err, "import %s", file)
	}
	if err := s.Commit(f, name); err != nil {
		return err
	}
	key, err := tarKey(s.TarPath(name))
	if err != nil {
		return err
	}
	return s.writeIndex(name, key, digest)
}

// copyTar copies one tar stream from r to w, reading it through a tar
// reader so that each header is checked as it arrives: input that is not a
// tar fails at its first block, and the entries' sizes are charged to the
// limit before their data is copied. Only the archive itself is copied,
// up to its end-of-archive blocks.
func copyTar(w io.Writer, r io.Reader, limit int64) error {
	cw := &checkedWriter{w: w}
	tr := tar.NewReader(io.TeeReader(r, cw))
	budget := Budget{Limit: limit}
	n := 0
	for {
		hdr, err := tr.Next()
		if cw.err != nil {
			return errors.Wrap(cw.err, "write image")
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return errors.Wrap(err, "not a tar archive")
		}
		if err := budget.Charge(hdr); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return errors.New("not a tar archive: no entries")
	}
	// Writers pad an archive with zeros to a whole record (10 KiB for
	// GNU tar); copying that too keeps the stored tar byte for byte the
	// input, so the layer's digest is the input's sha256sum and matches a
	// copy placed in the image directory by hand.
	block := make([]byte, 512)
	for copied := 0; copied < maxTrailer; copied += len(block) {
		m, err := fill(r, block)
		if err != nil && err != io.EOF {
			return errors.Wrap(err, "read after the archive")
		}
		if m == 0 || !isZero(block[:m]) {
			break // the end, or data after the archive: not part of it
		}
		if _, werr := w.Write(block[:m]); werr != nil {
			return errors.Wrap(werr, "write image")
		}
		if err == io.EOF {
			break
		}
	}
	return nil
}

// maxTrailer bounds the zero padding copied after an archive's end.
const maxTrailer = 1 << 20

// checkedWriter keeps a write error apart from the reader's errors.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}
