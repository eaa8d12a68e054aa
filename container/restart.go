package container

import (
	stderrors "errors"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/utils"
)

// Restart policies, with no daemon: the process watching a container (its
// monitor, or a foreground run until it hands over to one) decides when
// the command exits whether to start it again, by the policy and Docker's
// rules, and sleeps the back-off in between. Every decision is taken
// under the container's lock together with recording the exit, so a stop,
// kill or rm that takes the lock first is always seen.

// The --restart policies, as Docker names them.
const (
	RestartNo            = "no"
	RestartOnFailure     = "on-failure"
	RestartAlways        = "always"
	RestartUnlessStopped = "unless-stopped"
)

// StatusRestarting is shown (ps, inspect's State.Status) while a monitor
// waits out the back-off before starting the container again. The record
// itself says exited, with State.Restarting set: nothing runs meanwhile.
const StatusRestarting = "restarting"

// RestartPolicy is --restart, with Docker's HostConfig.RestartPolicy
// names. MaximumRetryCount bounds on-failure's restarts; 0 is unbounded.
type RestartPolicy struct {
	Name              string `json:"Name"`
	MaximumRetryCount int    `json:"MaximumRetryCount"`
}

// maxRetryCount bounds on-failure:N, so that any N fits an int anywhere.
const maxRetryCount = 1<<31 - 1

// ParseRestartPolicy parses --restart no|on-failure[:N]|always|unless-stopped.
// An empty value is "no", as Docker takes it; a count goes only with
// on-failure and is a plain decimal number (0: no limit).
func ParseRestartPolicy(s string) (RestartPolicy, error) {
	bad := func(why string) (RestartPolicy, error) {
		return RestartPolicy{}, errors.Errorf("invalid --restart %q: %s", s, why)
	}
	if s == "" {
		return RestartPolicy{Name: RestartNo}, nil
	}
	name, count, hasCount := strings.Cut(s, ":")
	switch name {
	case RestartNo, RestartAlways, RestartUnlessStopped:
		if hasCount {
			return bad("a maximum retry count goes only with on-failure")
		}
		return RestartPolicy{Name: name}, nil
	case RestartOnFailure:
		p := RestartPolicy{Name: name}
		if !hasCount {
			return p, nil
		}
		if count == "" || strings.Trim(count, "0123456789") != "" {
			return bad("the maximum retry count must be a number, 0 or more")
		}
		n, err := strconv.ParseUint(count, 10, 31)
		if err != nil || n > maxRetryCount {
			return bad("the maximum retry count is too large")
		}
		p.MaximumRetryCount = int(n)
		return p, nil
	}
	return bad("want no, on-failure[:N], always or unless-stopped")
}

// Normalized is the policy as inspect shows it: "no" for none.
func (p RestartPolicy) Normalized() RestartPolicy {
	if p.Name == "" {
		p.Name = RestartNo
	}
	return p
}

// None reports whether the container is never restarted.
func (p RestartPolicy) None() bool { return p.Name == "" || p.Name == RestartNo }

// ShouldRestart is Docker's rule: a container stopped by the user (stop,
// kill with SIGKILL or its stop signal) never restarts; always and
// unless-stopped restart whatever the exit code; on-failure restarts after
// a non-zero exit until it has restarted MaximumRetryCount times (0: no
// limit). restarts counts the restarts since the user last started it.
func (p RestartPolicy) ShouldRestart(code, restarts int, stopped bool) bool {
	if stopped {
		return false
	}
	switch p.Name {
	case RestartAlways, RestartUnlessStopped:
		return true
	case RestartOnFailure:
		return code != 0 && (p.MaximumRetryCount == 0 || restarts < p.MaximumRetryCount)
	}
	return false
}

// StartsAtBoot reports whether start --all-restartable starts a container
// that is not running: always does, even one the user stopped, as Docker's
// daemon does when it starts; unless-stopped only if the user did not
// stop it. Docker: "unless-stopped" differs from "always" only there.
func (p RestartPolicy) StartsAtBoot(stopped bool) bool {
	return p.Name == RestartAlways || p.Name == RestartUnlessStopped && !stopped
}

// Docker's back-off: the first restart waits 100 ms, each further one
// twice as long as the last, at most a minute; a run of 10 s or more
// starts the doubling again.
const (
	restartFirstDelay = 100 * time.Millisecond
	restartMaxDelay   = time.Minute
	restartResetAfter = 10 * time.Second
)

// Backoff is the delay before the next restart, kept by the watching
// process across the restarts it makes.
type Backoff struct {
	last time.Duration // 0: no restart yet
}

// Next is the delay before restarting a container that ran for ranFor.
func (b *Backoff) Next(ranFor time.Duration) time.Duration {
	switch {
	case b.last == 0 || ranFor >= restartResetAfter:
		b.last = restartFirstDelay
	case b.last < restartMaxDelay:
		b.last *= 2
	}
	if b.last > restartMaxDelay {
		b.last = restartMaxDelay
	}
	return b.last
}

// RestartDecision is what the watcher decided when the command exited:
// whether the container restarts, and after how long.
type RestartDecision struct {
	Again bool
	Delay time.Duration
}

// decideRestart is called under the container's lock right after its exit
// is recorded in rec: if the policy says so, rec becomes restarting (and
// RestartCount counts the restart, as Docker's does once decided).
// stopRequested is a stop asked of the watching process itself (^C on a
// foreground run).
func decideRestart(rec *Record, b *Backoff, code int, stopRequested bool) RestartDecision {
	st := &rec.State
	if stopRequested {
		st.ManuallyStopped = true
	}
	// A monitor that is not the one recorded lost the container to a
	// later start: it has nothing to restart.
	if b == nil || !rec.ownedBySelf() {
		return RestartDecision{}
	}
	if !rec.Config.RestartPolicy.ShouldRestart(code, rec.RestartCount, st.ManuallyStopped) {
		return RestartDecision{}
	}
	d := b.Next(st.FinishedAt.Sub(st.StartedAt))
	rec.RestartCount++
	st.Restarting = true
	st.RestartDelay = d
	return RestartDecision{Again: true, Delay: d}
}

// ownedBySelf reports whether this process is the container's recorded
// monitor (pid and start time).
func (rec *Record) ownedBySelf() bool {
	self := os.Getpid()
	return rec.State.MonitorPid == self && rec.State.MonitorStartTime == utils.ProcStartTime(self)
}

// errNotRestarting says the container's restart was called off (stop,
// kill, rm, or another start) while the monitor waited.
var errNotRestarting = stderrors.New("container is no longer restarting")

// restart starts container id again after the back-off, if it is still
// this process's to restart.
func (r *Runner) restart(id string) (*Running, error) {
	return r.start(id, Attach{}, func(rec *Record) error {
		if !rec.State.Restarting || !rec.ownedBySelf() {
			return errNotRestarting
		}
		return nil
	})
}

// endRestart calls off the restart this process waits for, if it still
// owns it, and records why when the restart itself failed (cause).
func (s *Store) endRestart(id string, cause error) bool {
	_, err := s.Update(id, func(rec *Record) error {
		if !rec.State.Restarting || !rec.ownedBySelf() {
			return errNotRestarting
		}
		rec.State.Restarting = false
		rec.State.RestartDelay = 0
		if cause != nil {
			rec.State.Error = "restart: " + cause.Error()
		}
		return nil
	})
	if err != nil && err != errNotRestarting {
		log.Debugf("ending the restart of %s: %v", utils.ShortID(id), err)
	}
	return err == nil
}

// EndRestart calls off the restart this process left to a monitor that
// could not take it over, and reports whether it was still this
// process's to call off (a stop or rm may have done it meanwhile).
func (s *Store) EndRestart(id string) bool { return s.endRestart(id, nil) }

// cancelRestart is how stop and kill end a restart loop: under the
// container's lock, the user's stop is recorded and a waiting monitor
// is told it has nothing to restart. It reports whether the container was
// restarting (its monitor alive), which the caller then wakes.
func (st *State) cancelRestart() bool {
	waiting := st.Restarting && st.MonitorAlive()
	st.ManuallyStopped = true
	st.Restarting = false
	st.RestartDelay = 0
	return waiting
}

// wakeMonitor ends the back-off sleep of a monitor whose restart was
// called off (it sleeps until a SIGTERM or SIGINT), and waits a little
// for it to go when wait is set: it goes at once, having nothing left to
// do. The caller must not hold the container's lock if it waits.
func wakeMonitor(st *State, wait bool) {
	if !st.MonitorAlive() || st.MonitorPid == os.Getpid() {
		return
	}
	if err := unix.Kill(st.MonitorPid, unix.SIGTERM); err != nil && err != unix.ESRCH {
		log.Debugf("wake monitor %d: %v", st.MonitorPid, err)
		return
	}
	if wait && !waitUntil(10*time.Second, func() bool { return !st.MonitorAlive() }) {
		log.Warnf("monitor %d still waiting to restart after 10s", st.MonitorPid)
	}
}

// Resume is how a foreground run hands its restart loop over to a
// detached monitor when it leaves: the monitor takes the container over
// from process From (pid and start time) and restarts it after Delay.
type Resume struct {
	Delay     time.Duration
	From      int
	FromStart uint64
}

// Args are the monitor command's flags for r.
func (r *Resume) Args() []string {
	return []string{"--resume-after", r.Delay.String(), "--resume-from", strconv.Itoa(r.From) + ":" + strconv.FormatUint(r.FromStart, 10)}
}

// ParseResume reads the monitor's --resume-after and --resume-from.
func ParseResume(after, from string) (*Resume, error) {
	d, err := time.ParseDuration(after)
	if err != nil || d < 0 {
		return nil, errors.Errorf("invalid --resume-after %q", after)
	}
	pidS, startS, ok := strings.Cut(from, ":")
	pid, perr := strconv.Atoi(pidS)
	start, serr := strconv.ParseUint(startS, 10, 64)
	if !ok || perr != nil || serr != nil || pid <= 0 {
		return nil, errors.Errorf("invalid --resume-from %q", from)
	}
	return &Resume{Delay: d, From: pid, FromStart: start}, nil
}

// ResumeFromSelf is the Resume a foreground run passes to the monitor it
// hands the container over to.
func ResumeFromSelf(delay time.Duration) *Resume {
	return &Resume{Delay: delay, From: os.Getpid(), FromStart: utils.ProcStartTime(os.Getpid())}
}

// takeOver makes this process the monitor of a container that r.From
// left restarting.
func (s *Store) takeOver(id string, r *Resume) error {
	_, err := s.Update(id, func(rec *Record) error {
		st := &rec.State
		if !st.Restarting || st.MonitorPid != r.From || st.MonitorStartTime != r.FromStart {
			return errNotRestarting
		}
		st.MonitorPid = os.Getpid()
		st.MonitorStartTime = utils.ProcStartTime(os.Getpid())
		return nil
	})
	return err
}

// Restartable lists the containers start --all-restartable starts: not
// running, started before, and whose policy says they should run
// (StartsAtBoot). A container still watched by a live monitor (running,
// restarting or just finishing) is that monitor's.
func (s *Store) Restartable() ([]*Record, []error) {
	recs, errs := s.List()
	var out []*Record
	for _, rec := range recs {
		rec = s.Settle(rec)
		st := &rec.State
		if st.Status != StatusExited || st.StartedAt.IsZero() || st.MonitorAlive() {
			continue
		}
		if rec.Config.RestartPolicy.StartsAtBoot(st.ManuallyStopped) {
			out = append(out, rec)
		}
	}
	return out, errs
}
