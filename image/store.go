// Package image is the image store. Images are Docker/OCI images: a
// config and a manifest listing layer blobs, stored as received under
// <root>/blobs, each layer also unpacked once into <root>/layers/sha256/<diff
// ID>, shared by every image that has it, and never unpacked per run. The
// index <root>/imagedb/images.json names them. The blog's layout still
// works: <root>/image/<name>.tar (a rootfs tar, plain or gzip, or a
// docker-archive) is the image <name>:latest, read into the store the first
// time it is used and again whenever the file changes.
package image

import (
	"bytes"
	stderrors "errors"
	"os"
	"path/filepath"
	"slices"
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
var ErrNotFound = stderrors.New("no such image")

// ErrNeedsTransfer is returned by a program built without the code that
// moves images (tag notransfer) for what needs it: here, reading a blog
// tar in <root>/image that is new or changed. Nothing has been changed
// when it is returned, so the whole program can do the command instead.
var ErrNeedsTransfer = stderrors.New("this program has no image transfer code")

// ValidateName checks a blog image name is a plain file name we can store
// as <root>/image/<name>.tar.
func ValidateName(name string) error {
	if !utils.IsName(name) || len(name) > 128 {
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

// Image is an image ready to run.
type Image struct {
	ID     string    // sha256:<hex of the config>, Docker's image ID
	Name   string    // the reference it was found by, in Docker's familiar form
	Digest string    // the ID's hex
	Layers []string  // unpacked layer directories, lowest first
	Config v1.Config // the image config's defaults for containers
	File   *v1.ConfigFile
	Entry  Summary
}

// TarPath is where the blog image name's tar lives.
func (s *Store) TarPath(name string) string {
	return filepath.Join(s.layout.ImageDir(), name+".tar")
}

// blogName returns the tar name that stands for r: only name:latest on
// Docker Hub's library, the one spelling a file name can have.
func blogName(r Reference) (string, bool) {
	if r.Registry != dockerHub || r.Tag != "latest" {
		return "", false
	}
	n, ok := strings.CutPrefix(r.Repository, "library/")
	if !ok || strings.Contains(n, "/") || ValidateName(n) != nil {
		return "", false
	}
	return n, true
}

// Get finds a stored image by reference or image ID (or a unique prefix
// of one). It never talks to a registry.
func (s *Store) Get(ref string) (*Image, error) {
	e, shown, err := s.find(ref)
	if err != nil {
		return nil, err
	}
	return s.imageFor(e, shown)
}

// isIDPrefix reports whether ref has the form of an image ID or a prefix
// of one: [sha256:]hex, 1 to 64 digits.
func isIDPrefix(ref string) bool {
	return utils.IsLowerHex(strings.TrimPrefix(ref, "sha256:"), 1, 64)
}

// find resolves ref to an index entry and the name to show for it.
func (s *Store) find(ref string) (*imageEntry, string, error) {
	s.sweep()
	r, perr := ParseReference(ref)
	if perr == nil {
		if n, ok := blogName(r); ok {
			if err := s.syncTar(n); err != nil {
				return nil, "", err
			}
		}
	}
	d, err := s.readDB()
	if err != nil {
		return nil, "", err
	}
	if perr == nil {
		if e := d.byName(r.String()); e != nil {
			return e, r.Familiar(), nil
		}
	}
	if isIDPrefix(ref) && (strings.HasPrefix(ref, "sha256:") || len(ref) >= 4) {
		want := ref
		if !strings.HasPrefix(want, "sha256:") {
			want = "sha256:" + want
		}
		var found []*imageEntry
		for _, e := range d.Images {
			if strings.HasPrefix(e.ID, want) {
				found = append(found, e)
			}
		}
		if len(found) == 1 {
			return found[0], ref, nil
		}
		if len(found) > 1 {
			return nil, "", errors.Errorf("image ID prefix %s is ambiguous", ref)
		}
	}
	if perr != nil && !isIDPrefix(ref) {
		return nil, "", perr
	}
	return nil, "", errors.Wrapf(ErrNotFound, "%s", ref)
}

// imageFor reads what running e needs: its config and its layers, which
// must all be unpacked.
func (s *Store) imageFor(e *imageEntry, shown string) (*Image, error) {
	cfg, err := s.configFile(e)
	if err != nil {
		return nil, err
	}
	img := &Image{ID: e.ID, Name: shown, Digest: strings.TrimPrefix(e.ID, "sha256:"), Config: cfg.Config, File: cfg}
	for _, diffID := range cfg.RootFS.DiffIDs {
		if !s.hasLayer(diffID) {
			return nil, errors.Errorf("image %s is damaged: layer %s is missing (remove it and pull or load it again)", shown, diffID)
		}
		img.Layers = append(img.Layers, s.LayerPath(diffID))
	}
	if len(img.Layers) == 0 {
		return nil, errors.Errorf("image %s has no layers", shown)
	}
	img.Entry = summary(e)
	return img, nil
}

func (s *Store) configFile(e *imageEntry) (*v1.ConfigFile, error) {
	h, err := v1.NewHash(e.ID)
	if err != nil {
		return nil, errors.Wrapf(err, "image %s", e.ID)
	}
	raw, err := s.readBlob(h)
	if err != nil {
		return nil, err
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	return cfg, errors.Wrapf(err, "parse config of image %s", e.ID)
}

// Summary describes a stored image for `images` and `image inspect`.
type Summary struct {
	ID          string
	Names       []string // familiar tags
	RepoDigests []string // familiar repo@digest
	Created     time.Time
	Size        int64
}

func summary(e *imageEntry) Summary {
	out := Summary{ID: e.ID, Created: e.Created, Size: e.Size}
	for _, n := range e.Names {
		if r, err := ParseReference(n); err == nil {
			out.Names = append(out.Names, r.Familiar())
		}
	}
	for _, n := range e.RepoDigests {
		if r, err := ParseReference(n); err == nil {
			out.RepoDigests = append(out.RepoDigests, r.Familiar())
		}
	}
	return out
}

// List returns the stored images, newest first, after reading any blog
// tar placed in <root>/image since the last look.
func (s *Store) List() ([]Summary, error) {
	s.sweep()
	if err := s.syncTars(); err != nil {
		return nil, err
	}
	d, err := s.readDB()
	if err != nil {
		return nil, err
	}
	var out []Summary
	for _, e := range d.Images {
		out = append(out, summary(e))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// Tag gives the image src the name dst too (moving dst off any other).
func (s *Store) Tag(src, dst string) error {
	e, _, err := s.find(src)
	if err != nil {
		return err
	}
	r, err := ParseReference(dst)
	if err != nil {
		return err
	}
	if r.Tag == "" {
		return errors.Errorf("refusing to create a tag with a digest reference: %s", dst)
	}
	return s.updateDB(func(d *db) error {
		target := d.byID(e.ID)
		if target == nil {
			return errors.Wrapf(ErrNotFound, "%s", src)
		}
		if slices.Contains(target.Names, r.String()) {
			return nil
		}
		d.untag(r.String())
		target.Names = append(target.Names, r.String())
		return nil
	})
}

// Removed says what Remove did, in Docker's words.
type Removed struct {
	Untagged []string
	Deleted  string
}

// Remove untags ref, deleting the image if that was its last name or ref
// is its ID; usedBy reports a container that uses an image ID. With force
// an image is deleted even if it has other names or containers use it;
// the containers keep their layers. A blog image's tar is removed with it.
func (s *Store) Remove(ref string, force bool, usedBy func(id string) string) (Removed, error) {
	var out Removed
	e, _, err := s.find(ref)
	if err != nil {
		return out, err
	}
	r, perr := ParseReference(ref)
	byName := perr == nil && (slices.Contains(e.Names, r.String()) || slices.Contains(e.RepoDigests, r.String()))
	err = s.updateDB(func(d *db) error {
		cur := d.byID(e.ID)
		if cur == nil {
			return errors.Wrapf(ErrNotFound, "%s", ref)
		}
		deleteImage := !byName
		if byName {
			names := slices.DeleteFunc(slices.Clone(cur.Names), func(n string) bool { return n == r.String() })
			digests := slices.DeleteFunc(slices.Clone(cur.RepoDigests), func(n string) bool { return n == r.String() })
			// As Docker: removing the last tag deletes the image, even if
			// it is still known by digest.
			deleteImage = len(names) == 0 && (r.Tag != "" || len(digests) == 0)
		}
		if !byName && len(cur.Names) > 1 && !force {
			return errors.Errorf("unable to delete %s (must be forced): image is referenced in multiple repositories", short(cur.ID))
		}
		if deleteImage && !force {
			if c := usedBy(cur.ID); c != "" {
				return errors.Errorf("unable to remove %s (must force): container %s is using image %s", ref, c, short(cur.ID))
			}
		}
		if !deleteImage {
			cur.Names = slices.DeleteFunc(cur.Names, func(n string) bool { return n == r.String() })
			cur.RepoDigests = slices.DeleteFunc(cur.RepoDigests, func(n string) bool { return n == r.String() })
			out.Untagged = append(out.Untagged, r.Familiar())
			return nil
		}
		for _, n := range append(append([]string{}, cur.Names...), cur.RepoDigests...) {
			if nr, err := ParseReference(n); err == nil {
				out.Untagged = append(out.Untagged, nr.Familiar())
			}
		}
		d.Images = slices.DeleteFunc(d.Images, func(x *imageEntry) bool { return x == cur })
		out.Deleted = cur.ID
		// The blog tar goes too, or the next lookup would read it back
		// in; only if it is still the file this image was read from.
		if cur.Tar != nil {
			if key, err := tarKey(cur.Tar.Name, s.TarPath(cur.Tar.Name)); err == nil && *key == *cur.Tar {
				if err := os.Remove(s.TarPath(cur.Tar.Name)); err != nil {
					return errors.Wrapf(err, "remove %s", s.TarPath(cur.Tar.Name))
				}
			}
		}
		return nil
	})
	return out, err
}

func short(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Collect deletes the blobs and unpacked layers no image refers to and
// nothing uses: inUse are the layer directories of every container
// (running or not: a stopped one starts again from them), and a layer that
// is a lower directory of any overlay mount is kept even if no record
// names it. Writers hold the collection lock shared while they store an
// image, so nothing they wrote is taken before the index names it.
func (s *Store) Collect(inUse []string) error {
	lock, err := s.lockGC()
	if err != nil {
		return err
	}
	defer lock.Unlock()
	d, err := s.readDB()
	if err != nil {
		return err
	}
	keepLayer := map[string]bool{}
	for _, l := range inUse {
		keepLayer[filepath.Clean(l)] = true
	}
	keepBlob := map[string]bool{}
	for _, e := range d.Images {
		keepBlob[e.ID] = true
		keepBlob[e.Manifest] = true
		// An entry that cannot be read keeps the collection from
		// running at all: skipping it would free the layers it uses.
		h, err := v1.NewHash(e.Manifest)
		if err != nil {
			return errors.Wrapf(err, "image %s: manifest", short(e.ID))
		}
		raw, err := s.readBlob(h)
		if err != nil {
			return errors.Wrapf(err, "image %s", short(e.ID))
		}
		m, err := v1.ParseManifest(bytes.NewReader(raw))
		if err != nil {
			return errors.Wrap(err, "parse manifest")
		}
		for _, l := range m.Layers {
			keepBlob[l.Digest.String()] = true
		}
		cfg, err := s.configFile(e)
		if err != nil {
			return err
		}
		for _, diffID := range cfg.RootFS.DiffIDs {
			keepLayer[s.LayerPath(diffID)] = true
		}
	}
	overlays, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("overlay"))
	if err != nil {
		return errors.Wrap(err, "read /proc/self/mountinfo")
	}
	layers, err := os.ReadDir(filepath.Join(s.layout.LayerDir(), "sha256"))
	if err != nil && !os.IsNotExist(err) {
		return errors.Wrap(err, "read layers")
	}
	var freed []string
	for _, l := range layers {
		p := filepath.Join(s.layout.LayerDir(), "sha256", l.Name())
		if keepLayer[p] || mountedAsLower(overlays, p) {
			continue
		}
		if err := s.removeLayer(p); err != nil {
			return err
		}
		freed = append(freed, "sha256:"+l.Name())
	}
	if err := s.removeInitLayers(overlays); err != nil {
		return err
	}
	blobs, err := os.ReadDir(filepath.Join(s.blobDir(), "sha256"))
	if err != nil && !os.IsNotExist(err) {
		return errors.Wrap(err, "read blobs")
	}
	for _, b := range blobs {
		if keepBlob["sha256:"+b.Name()] {
			continue
		}
		if err := os.Remove(filepath.Join(s.blobDir(), "sha256", b.Name())); err != nil && !os.IsNotExist(err) {
			return errors.Wrap(err, "remove blob")
		}
	}
	if len(freed) == 0 {
		return nil
	}
	return s.updateDB(func(d *db) error {
		for _, l := range freed {
			delete(d.Layers, l)
		}
		return nil
	})
}

// removeInitLayers removes the init layers (<root>/layers/init, see
// container/initlayer.go) that no mounted container uses. They are made
// from an image's files by the start that needs one, so one removed here
// is made again when needed; a start that loses its layer between its
// look and its mount makes it again and retries.
func (s *Store) removeInitLayers(overlays []*mountinfo.Info) error {
	dir := filepath.Join(s.layout.LayerDir(), "init")
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return errors.Wrap(err, "read init layers")
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if mountedAsLower(overlays, p) {
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
// layer the store would take for a whole one.
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

// maxSize is the bound on what one image may unpack to: MaxSize if set,
// else MaxSizeEnv, else DefaultMaxSize.
func (s *Store) maxSize() (int64, error) {
	if s.MaxSize > 0 {
		return s.MaxSize, nil
	}
	return MaxSize()
}

// tarKey is what the index remembers of an image tar to know it unchanged.
func tarKey(name, tarPath string) (*tarSource, error) {
	st, err := os.Stat(tarPath)
	if err != nil {
		return nil, errors.Wrapf(err, "stat image %s", tarPath)
	}
	return &tarSource{Name: name, Size: st.Size(), MtimeN: st.ModTime().UnixNano(), Ino: st.Sys().(*syscall.Stat_t).Ino}, nil
}

// LayerPath is the unpacked directory of the layer with diff ID diffID.
func (s *Store) LayerPath(diffID v1.Hash) string {
	return filepath.Join(s.layout.LayerDir(), diffID.Algorithm, diffID.Hex)
}

func (s *Store) hasLayer(diffID v1.Hash) bool {
	_, err := os.Stat(s.LayerPath(diffID))
	return err == nil
}
