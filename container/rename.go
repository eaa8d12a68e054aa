package container

import (
	"github.com/pkg/errors"
)

// Rename gives container id the name newName, by the rules of run --name:
// valid as Docker's, and unique, which the atomic claim of the name file
// ensures against a parallel run --name or rename. The record changes
// under the container's lock; the old name is freed only once the record
// carries the new one, so the container always has a name that resolves.
func (s *Store) Rename(id, newName string) error {
	if err := ValidateName(newName); err != nil {
		return err
	}
	lock, err := s.Lock(id)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	rec, err := s.Load(id)
	if err != nil {
		return err
	}
	old := rec.Name
	if old == newName {
		return errors.Errorf("cannot rename %s: it already has that name", old)
	}
	if err := s.claimName(newName, id); err != nil {
		return err
	}
	rec.Name = newName
	if err := s.write(rec); err != nil {
		s.releaseName(newName, id)
		return errors.Wrapf(err, "rename %s", old)
	}
	s.releaseName(old, id)
	s.Emit("rename", rec, map[string]string{"oldName": old})
	return nil
}
