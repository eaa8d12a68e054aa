package image

import (
	"os"
	"strings"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
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
		if err := s.syncTar(name); errors.Is(err, ErrNeedsTransfer) {
			return err
		} else if err != nil {
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
	return s.importTar(name, path, key)
}
