package container

import (
	"github.com/pkg/errors"

	"mydocker/image"
)

// Commit packs container id's merged root into the image store as name.
// It holds the container's lock, so the container is not started, stopped
// or removed meanwhile. A stopped container's overlay is mounted for the
// copy and unmounted after. Volumes are mounted only in the container's
// own namespace, so the host's view of merged never includes them.
func (s *Store) Commit(images *image.Store, id, name string) (err error) {
	lock, err := s.Lock(id)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	rec, err := s.Get(id)
	if err != nil {
		return err
	}
	ws := Workspace{Dir: s.WorkspaceDir(id)}
	if rec.State.Status != StatusRunning {
		if err := ws.Mount(rec.Layers); err != nil {
			return err
		}
		defer func() {
			if uerr := ws.Unmount(); uerr != nil && err == nil {
				err = uerr
			}
		}()
	}
	if err := ws.CheckMounted(); err != nil {
		return errors.Wrapf(err, "commit %s", rec.Name)
	}
	f, err := images.Writer()
	if err != nil {
		return err
	}
	defer images.Discard(f)
	if err := image.Pack(f, ws.Merged()); err != nil {
		return errors.Wrapf(err, "commit %s", rec.Name)
	}
	return images.Commit(f, name)
}
