package image

import (
	"archive/tar"
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"

	"mydocker/constant"
)

// syncTars reads every blog tar in <root>/image that is new or changed.
func (s *Store) syncTars() error {
	entries, err := os.ReadDir(s.layout.ImageDir())
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return errors.Wrap(err, "read image dir")
	}
	for _, de := range entries {
		name, ok := strings.CutSuffix(de.Name(), ".tar")
		// Only regular files: a FIFO or device would block the listing.
		if !ok || !de.Type().IsRegular() || strings.HasPrefix(name, ".") {
			continue
		}
		if r, err := ParseReference(name); err != nil || blogNameOK(r, name) != nil {
			continue // a file name no reference can spell
		}
		if err := s.syncTar(name); err != nil {
			log.Warnf("image %s: %v", s.TarPath(name), err)
		}
	}
	return nil
}

func blogNameOK(r Reference, name string) error {
	if n, ok := blogName(r); !ok || n != name {
		return errors.Errorf("%s is not a plain image name", name)
	}
	return nil
}

// syncTar makes <root>/image/<name>.tar the image <name>:latest if the
// index does not know the tar as it is now: the blog puts tars there by
// hand and replaces them, and expects `run <name>` to use the file.
func (s *Store) syncTar(name string) error {
	path := s.TarPath(name)
	key, err := tarKey(name, path)
	if os.IsNotExist(errors.Cause(err)) {
		return nil
	}
	if err != nil {
		return err
	}
	d, err := s.readDB()
	if err != nil {
		return err
	}
	for _, e := range d.Images {
		if e.Tar != nil && *e.Tar == *key {
			return nil
		}
	}
	r, _ := ParseReference(name)
	log.Infof("reading image %s", path)
	o := importOptions{Names: []Reference{r}, Tar: key}
	if isArchive(path) {
		_, err = s.loadFile(path, o)
	} else {
		_, err = s.importRootfs(path, o)
	}
	return errors.Wrapf(err, "image %s", path)
}

// Import makes a rootfs tar (plain or gzip) the image ref, as `docker
// import` does. Reading stops at the size bound and at the first block
// that is not a tar header: `import /dev/zero` ends at once.
func (s *Store) Import(file, ref string) (*Image, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return nil, err
	}
	if r.Tag == "" {
		return nil, errors.Errorf("import: %s: a digest cannot name a new image", ref)
	}
	s.sweep()
	e, err := s.importRootfs(file, importOptions{Names: []Reference{r}})
	if err != nil {
		return nil, errors.Wrapf(err, "import %s", file)
	}
	return s.imageFor(e, r.Familiar())
}

// importRootfs stores a rootfs tar as a one-layer image with the config
// `docker import` gives: no command, PATH set.
func (s *Store) importRootfs(file string, o importOptions) (*imageEntry, error) {
	hold, limit, err := s.beginWrite()
	if err != nil {
		return nil, err
	}
	defer hold.Unlock()
	f, err := os.Open(file)
	if err != nil {
		return nil, errors.Wrap(err, "open image")
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, errors.Wrap(err, "stat image")
	}
	l, err := s.storeLayer(f, v1.Hash{}, v1.Hash{}, limit)
	if errors.Is(err, tar.ErrHeader) {
		return nil, errors.New("not a tar archive")
	}
	if err != nil {
		return nil, err
	}
	created := st.ModTime().UTC()
	if o.Tar == nil {
		created = time.Now().UTC()
	}
	cfg := v1.ConfigFile{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Created:      v1.Time{Time: created},
		Config:       v1.Config{Env: []string{"PATH=" + constant.DefaultPath}},
		RootFS:       v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{l.DiffID}},
		History:      []v1.History{{Created: v1.Time{Time: created}, CreatedBy: "mydocker import " + file, Comment: "Imported from " + file}},
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, errors.Wrap(err, "encode image config")
	}
	return s.addManifest(raw, []v1.Descriptor{l.descriptor()}, map[v1.Hash]int64{l.DiffID: l.DiffSize}, o)
}
