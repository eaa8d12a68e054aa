package container

// Frozen runs fn on container id's record and its writable layer (the
// overlay's upper directory) while it holds the container's lock, so the
// container is not started, stopped or removed meanwhile: commit packs
// the layer there. Volumes are mounted only in the container's own
// namespace, so they are never in the upper directory. The image store
// stays out of this package (the detached monitor links it and nothing
// of images).
func (s *Store) Frozen(id string, fn func(rec *Record, upper string) error) error {
	lock, err := s.Lock(id)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	rec, err := s.Get(id)
	if err != nil {
		return err
	}
	return fn(rec, Workspace{Dir: s.WorkspaceDir(id)}.Upper())
}
