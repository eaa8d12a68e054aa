package container

import (
	"os"
	"time"

	"mydocker/utils"
)

// Alive reports whether the recorded process is still the one we started.
func (st *State) Alive() bool {
	if st.Pid <= 0 {
		return false
	}
	t := utils.ProcStartTime(st.Pid)
	return t != 0 && t == st.PidStartTime
}

// MonitorAlive reports whether the process watching the container is
// still the one that started it.
func (st *State) MonitorAlive() bool {
	if st.MonitorPid <= 0 {
		return false
	}
	t := utils.ProcStartTime(st.MonitorPid)
	return t != 0 && t == st.MonitorStartTime
}

// ExitUnwatched is the exit code recorded for a container whose monitor
// died: the kernel killed the container with it (parent-death SIGKILL).
const ExitUnwatched = 137

// markRunning is the one place a record becomes running: pid is the
// container's first process, watched by this process, its monitor.
func (rec *Record) markRunning(pid int) {
	rec.State = State{
		Status:           StatusRunning,
		Pid:              pid,
		PidStartTime:     utils.ProcStartTime(pid),
		MonitorPid:       os.Getpid(),
		MonitorStartTime: utils.ProcStartTime(os.Getpid()),
		StartedAt:        time.Now().UTC(),
	}
}

// markExited is the one place a record becomes exited. finished is zero
// when the record is only being reconciled for display, not saved.
func (rec *Record) markExited(code int, reason string, finished time.Time) {
	st := &rec.State
	st.Status = StatusExited
	st.Paused = false // the freezer went with the processes
	st.ExitCode = code
	st.Error = reason
	st.FinishedAt = finished
}

// exitOfGone is what is known of a process that is gone without its exit
// recorded. A live monitor records the real exit code itself moments
// later; a dead one took the container with it, so SIGKILL's code is the
// truth.
func (st *State) exitOfGone() (int, string) {
	if st.MonitorAlive() {
		return st.ExitCode, st.Error
	}
	return ExitUnwatched, "the mydocker process watching the container was killed"
}

// Reconcile corrects a record that says running when its process is gone
// or its pid now belongs to another process, or restarting when its
// monitor is gone, for display and decisions.
func (rec *Record) Reconcile() {
	st := &rec.State
	if st.Restarting && !st.MonitorAlive() {
		// The monitor that was to restart it is gone (killed, or the
		// host went down): nothing will.
		st.Restarting = false
	}
	if st.Status != StatusRunning || st.Alive() {
		return
	}
	code, reason := st.exitOfGone()
	rec.markExited(code, reason, st.FinishedAt)
}

// settleTimeout bounds how long a reader waits for a live monitor to
// record an exit it is about to record anyway.
const settleTimeout = 2 * time.Second

// Settle returns rec reconciled with the running system. When the
// container's process has just ended and its monitor is still alive, the
// monitor is about to write the exit code, so Settle waits for that
// record (briefly) rather than reporting "exited" with no exit code or
// finish time: a reader sees the state and its exit code together.
func (s *Store) Settle(rec *Record) *Record {
	// The common case, running as recorded: one look at its process (ps
	// settles every running container).
	if st := &rec.State; st.Status == StatusRunning && !st.Restarting && st.Alive() {
		return rec
	}
	deadline := time.Now().Add(settleTimeout)
	for s.exitPending(rec) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		fresh, err := s.Load(rec.ID)
		if err != nil {
			break // removed (--rm) or unreadable: reconcile what we have
		}
		rec = fresh
	}
	// A monitor that recorded the exit and went after rec was read left
	// the answer in the record: read it anew before guessing.
	if rec.State.Status == StatusRunning && !rec.State.Alive() && !rec.State.MonitorAlive() {
		if fresh, err := s.Load(rec.ID); err == nil {
			rec = fresh
		}
	}
	rec.Reconcile()
	return rec
}

func (s *Store) exitPending(rec *Record) bool {
	st := &rec.State
	return st.Status == StatusRunning && !st.Alive() && st.MonitorAlive()
}
