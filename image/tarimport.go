//go:build !notransfer

package image

import (
	"archive/tar"
	"encoding/json"
	"os"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"

	"mydocker/constant"
)

// importTar reads the blog tar path (an image archive or a rootfs tar)
// into the store as the image name; key is what it was read from.
func (s *Store) importTar(name, path string, key *tarSource) error {
	r, _ := ParseReference(name)
	log.Infof("reading image %s", path)
	o := importOptions{Names: []Reference{r}, Tar: key}
	var err error
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
