package container

import (
	"github.com/pkg/errors"

	"mydocker/utils"
)

// Pruned is a container prune removed and the space its writable layer
// took.
type Pruned struct {
	ID   string
	Size int64
}

// Prune removes every container that is not running (created or
// exited), as Docker's container prune does, and says what it removed.
// A container started meanwhile is kept: Remove refuses a running one
// under its lock. It goes on past a failure and returns the last.
func (s *Store) Prune() ([]Pruned, error) {
	recs, errs := s.List()
	var last error
	for _, err := range errs {
		last = err // a record that cannot be read is not known to be stopped
	}
	var out []Pruned
	for _, rec := range recs {
		rec = s.Settle(rec)
		if rec.State.Status == StatusRunning {
			continue
		}
		if rec.Config.Infra {
			continue // it goes with its pod (pod rm): the pod needs it to start
		}
		size := s.Size(rec.ID)
		if err := s.Remove(rec.ID, false); err != nil {
			var nf *NotFoundError
			if errors.Is(err, ErrRunning) || errors.As(err, &nf) {
				continue // started or removed meanwhile
			}
			last = err
			continue
		}
		out = append(out, Pruned{ID: rec.ID, Size: size})
	}
	return out, last
}

// Size is the size of container id's writable layer, Docker's SizeRw.
// An error counts as nothing: the number is for people to read.
func (s *Store) Size(id string) int64 {
	n, err := utils.DirSize(Workspace{Dir: s.WorkspaceDir(id)}.Upper())
	if err != nil {
		return 0
	}
	return n
}
