package container

import (
	"os"
	"path/filepath"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"

	"mydocker/utils"
)

// Short-ID links: ps prints 12-character IDs, as Docker and the series
// do, and the series then types them into paths (`cd
// /var/lib/mydocker/overlay2/<ID>`, `ls containers/<ID>`). Directories
// stay named by the full ID (every other part of mydocker, and the
// forged-record checks, key on it); beside each, a symbolic link named
// by the short ID points to it:
//
//	<root>/containers/<short> -> <id>
//	<root>/overlay2/<short>   -> <id>
//
// The links are relative, so a root that is moved keeps them right.
// Listing the store skips them (they are not directories), so nothing
// sees a container twice.
//
// Collisions: the containers link is claimed with symlink(2), which
// fails if the name exists, so two containers whose IDs share 12
// characters (one in 2^48) can never take each other's link: the second
// simply has none, and its short ID is ambiguous for Resolve too, as in
// Docker. A link whose container is gone (its rm was killed between the
// two removals) is taken over under the store lock, after checking
// again, so two creates cannot both take it and a live link is never
// replaced. The overlay2 link goes with the containers link: only the
// owner of one makes or removes the other.

// shortLinks are the paths of container id's short-ID links.
func (s *Store) shortLinks(id string) (containers, overlay string) {
	short := utils.ShortID(id)
	return filepath.Join(s.Layout.ContainerDir(), short), filepath.Join(s.Layout.OverlayDir(), short)
}

// linkShortID makes container id's short-ID links, once its record
// directory exists.
func (s *Store) linkShortID(id string) error {
	if len(id) <= len(utils.ShortID(id)) {
		return nil
	}
	clink, olink := s.shortLinks(id)
	err := os.Symlink(id, clink)
	if os.IsExist(err) {
		err = s.takeStaleLink(id, clink)
	}
	if err != nil {
		if os.IsExist(errors.Cause(err)) {
			log.Warnf("container %s: short ID %s is another container's too: use more of its ID", id, utils.ShortID(id))
			return nil
		}
		return errors.Wrap(err, "link short container ID")
	}
	if err := os.MkdirAll(s.Layout.OverlayDir(), 0o700); err != nil {
		return errors.Wrap(err, "create overlay dir")
	}
	// Ours now that the containers link is: a leftover is replaced.
	if err := removeLink(olink); err != nil {
		return err
	}
	return errors.Wrap(os.Symlink(id, olink), "link short overlay ID")
}

// takeStaleLink replaces the link at path if the container it names has
// no record directory any more; else it fails with an error os.IsExist
// recognises (through errors.Cause).
func (s *Store) takeStaleLink(id, path string) error {
	lock, err := s.globalLock()
	if err != nil {
		return err
	}
	defer lock.Unlock()
	target, err := os.Readlink(path)
	if err != nil {
		return errors.Wrap(os.ErrExist, "short ID in use") // not a link: never ours to remove
	}
	if _, err := os.Stat(s.Dir(filepath.Base(target))); !os.IsNotExist(err) || target != filepath.Base(target) {
		return errors.Wrap(os.ErrExist, "short ID in use")
	}
	if err := os.Remove(path); err != nil {
		return errors.Wrap(err, "remove stale short ID link")
	}
	return os.Symlink(id, path)
}

// unlinkShortID removes container id's short-ID links, each only if it
// is id's: a colliding container may own them.
func (s *Store) unlinkShortID(id string) error {
	clink, olink := s.shortLinks(id)
	if target, err := os.Readlink(clink); err != nil || target != id {
		return nil
	}
	// The overlay link first: the containers link is what claims both.
	if target, err := os.Readlink(olink); err == nil && target == id {
		if err := removeLink(olink); err != nil {
			return err
		}
	}
	return removeLink(clink)
}

// removeLink removes the symbolic link at path, if there is one; it never
// removes anything else.
func removeLink(path string) error {
	fi, err := os.Lstat(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return errors.Wrap(err, "stat short ID link")
	}
	if fi.Mode()&os.ModeSymlink == 0 {
		return errors.Errorf("%s is not a link: not removing it", path)
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return errors.Wrap(err, "remove short ID link")
	}
	return nil
}
