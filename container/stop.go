package container

import (
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// Stop asks container id to exit with SIGTERM and SIGKILLs it after
// timeout, then waits until its exit is recorded and its mounts are gone.
// A pid 1 that ignores SIGTERM (no handler: the kernel drops the signal)
// is still stopped by the SIGKILL. Stopping a stopped container is a no-op.
func (s *Store) Stop(id string, timeout time.Duration) error {
	rec, err := s.Load(id)
	if err != nil {
		return err
	}
	st := rec.State
	if st.Status == StatusRunning && st.Alive() {
		if err := unix.Kill(st.Pid, unix.SIGTERM); err != nil && err != unix.ESRCH {
			return errors.Wrapf(err, "signal %s", rec.Name)
		}
		if !waitUntil(timeout, func() bool { return !st.Alive() }) {
			log.Infof("%s did not exit %v after SIGTERM: sending SIGKILL", rec.Name, timeout)
			if err := killAndWait(&st); err != nil {
				return err
			}
		}
	}
	// The monitor records the exit and unmounts; wait for it, or do its
	// work if it is gone.
	waitUntil(10*time.Second, func() bool {
		r, err := s.Load(id)
		return err != nil || r.State.Status != StatusRunning || !r.State.MonitorAlive()
	})
	_, err = s.Update(id, func(r *Record) error {
		if r.State.Alive() {
			return nil // started again meanwhile: its mounts are in use
		}
		if r.State.Status == StatusRunning && !r.State.Alive() {
			code, reason := r.State.exitOfGone()
			r.markExited(code, reason, time.Now().UTC())
		}
		return s.release(r)
	})
	return err
}

// waitUntil polls cond until it holds or timeout passes.
func waitUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}
