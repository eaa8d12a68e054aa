package container

import (
	"io"

	"github.com/pkg/errors"

	"mydocker/image"
)

// Commit makes a new image of container id: its image's layers plus its
// writable layer (the overlay's upper directory, deletions written as OCI
// whiteouts), with the image's config as o changes it. It holds the
// container's lock, so the container is not started, stopped or removed
// meanwhile. Volumes are mounted only in the container's own namespace, so
// they are never in the upper directory. It returns the new image's ID.
func (s *Store) Commit(images *image.Store, id string, o image.CommitOptions) (string, error) {
	lock, err := s.Lock(id)
	if err != nil {
		return "", err
	}
	defer lock.Unlock()
	rec, err := s.Get(id)
	if err != nil {
		return "", err
	}
	ws := Workspace{Dir: s.WorkspaceDir(id)}
	baseID := rec.ImageDigest
	if baseID == "" {
		return "", errors.Errorf("commit %s: the container's record names no image", rec.Name)
	}
	imageID, err := images.CommitLayer("sha256:"+baseID, func(w io.Writer) error {
		return image.PackDiff(w, ws.Upper())
	}, o)
	return imageID, errors.Wrapf(err, "commit %s", rec.Name)
}
