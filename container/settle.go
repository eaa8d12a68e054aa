package container

import "time"

// settleTimeout bounds how long a reader waits for a live monitor to
// record an exit it is about to record anyway.
const settleTimeout = 2 * time.Second

// Settle returns rec reconciled with the running system. When the
// container's process has just ended and its monitor is still alive, the
// monitor is about to write the exit code, so Settle waits for that
// record (briefly) rather than reporting "exited" with no exit code or
// finish time: a reader sees the state and its exit code together.
func (s *Store) Settle(rec *Record) *Record {
	deadline := time.Now().Add(settleTimeout)
	for s.exitPending(rec) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		fresh, err := s.Load(rec.ID)
		if err != nil {
			break // removed (--rm) or unreadable: reconcile what we have
		}
		rec = fresh
	}
	rec.Reconcile()
	return rec
}

func (s *Store) exitPending(rec *Record) bool {
	st := &rec.State
	return st.Status == StatusRunning && !st.Alive() && st.MonitorAlive()
}
