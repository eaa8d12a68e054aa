package container

import (
	"github.com/pkg/errors"

	"mydocker/cgroups"
)

// Pause and unpause: every process of a container is frozen through its
// cgroup (v1's freezer, v2's cgroup.freeze) and the record says so, as
// Docker's State.Paused. A paused container is still running: it keeps
// its processes, mounts and network. stop and rm thaw it (see thaw).

// Pause freezes running container id. It returns once the kernel reports
// every process frozen.
func (s *Store) Pause(id string) error {
	var cg cgroups.Manager
	_, err := s.Update(id, func(rec *Record) error {
		if rec.State.Status != StatusRunning || !rec.State.Alive() {
			return errors.Errorf("container %s is not running", rec.Name)
		}
		if rec.State.Paused {
			return errors.Errorf("container %s is already paused", rec.Name)
		}
		m, err := cgroups.New(rec.ID, rec.CgroupManager)
		if err != nil {
			return err
		}
		if err := m.Freeze(); err != nil {
			return errors.Wrapf(err, "pause %s", rec.Name)
		}
		cg = m
		rec.State.Paused = true
		return nil
	})
	if err != nil && cg != nil {
		// Frozen, but the record could not say so: a container nobody
		// knows is paused would hang every stop and exec.
		if terr := cg.Thaw(); terr != nil {
			return errors.Errorf("%v (and thawing it again: %v)", err, terr)
		}
	}
	return err
}

// Unpause thaws paused container id.
func (s *Store) Unpause(id string) error {
	_, err := s.Update(id, func(rec *Record) error {
		if rec.State.Status != StatusRunning || !rec.State.Alive() {
			return errors.Errorf("container %s is not running", rec.Name)
		}
		if !rec.State.Paused {
			return errors.Errorf("container %s is not paused", rec.Name)
		}
		if err := thaw(rec); err != nil {
			return err
		}
		rec.State.Paused = false
		return nil
	})
	return err
}

// thaw lets a paused container's processes run again. stop and rm call it
// after they signal: a frozen process gets its signal only once thawed
// (on v1 even SIGKILL waits), as runc thaws before it kills. The record is
// the caller's to update.
func thaw(rec *Record) error {
	if !rec.State.Paused || !ValidID(rec.ID) {
		return nil
	}
	cg, err := cgroups.New(rec.ID, rec.CgroupManager)
	if err != nil {
		return err
	}
	return errors.Wrapf(cg.Thaw(), "unpause %s", rec.Name)
}

// DisplayStatus is the container's status as Docker shows it: "paused" for a
// running container that is paused, "restarting" while its monitor waits
// to start it again.
func (st *State) DisplayStatus() string {
	if st.Restarting {
		return StatusRestarting
	}
	if st.Status == StatusRunning && st.Paused {
		return StatusPaused
	}
	return st.Status
}
