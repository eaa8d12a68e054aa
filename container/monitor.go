package container

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/cgroups"
	"mydocker/constant"
	"mydocker/container/spec"
	"mydocker/trace"
	"mydocker/utils"
)

// MonitorCommand is the word in a monitor's command line (MonitorArgs)
// before its own arguments.
const MonitorCommand = "monitor"

// readyFd is where the detached monitor reports whether the container
// started: one JSON readyMsg, then EOF.
const readyFd = 3

type readyMsg struct {
	Code    int    `json:"code"` // 0: running; else the exit code for `run -d`
	Message string `json:"message,omitempty"`
}

// traceFdEnv names, in the monitor's environment, the descriptor of a
// pipe to the caller of run -d with --trace: the monitor traces the start
// there, so the steps appear on the caller's terminal, and closes it
// before it reports; later steps (the teardown) go to its log.
const (
	traceFdEnv = "_MYDOCKER_TRACE_FD"
	traceFd    = readyFd + 1
)

// monitorLogName is the monitor's own stderr beside the record, so its
// warnings (and init's steps with --debug) are not lost with no terminal.
const monitorLogName = "monitor.log"

// StartMonitor starts the monitor a describes (MonitorPath, with a's
// arguments) in its own session with none of our terminal or pipes, so
// `id=$(mydocker run -d ...)` returns as soon as the container runs, and
// waits for its report. With a.Resume, the monitor takes over a restart
// loop instead (Resume).
func (s *Store) StartMonitor(a MonitorArgs) error {
	id := a.ID
	a.Build = spec.BuildID
	monitor, err := MonitorPath()
	if err != nil {
		return err
	}
	if a.CLI, err = os.Executable(); err != nil {
		return errors.Wrap(err, "find mydocker binary")
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return errors.Wrap(err, "ready pipe")
	}
	defer readyR.Close()
	logf, err := os.OpenFile(filepath.Join(s.Dir(id), monitorLogName), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		readyW.Close()
		return errors.Wrap(err, "open monitor log")
	}
	defer logf.Close()
	cmd := exec.Command(monitor, a.Args()...)
	cmd.Args[0] = MonitorName
	cmd.Stdout, cmd.Stderr = logf, logf // stdin stays /dev/null
	cmd.ExtraFiles = []*os.File{readyW}
	var traced chan struct{} // closed once the monitor's trace pipe is
	var traceW *os.File
	if trace.On() {
		traceR, w, err := os.Pipe()
		if err != nil {
			readyW.Close()
			return errors.Wrap(err, "trace pipe")
		}
		traceW = w
		defer traceR.Close()
		cmd.ExtraFiles = append(cmd.ExtraFiles, traceW) // traceFd
		cmd.Env = append(os.Environ(), traceFdEnv+"="+strconv.Itoa(traceFd))
		traced = make(chan struct{})
		go func() {
			defer close(traced)
			io.Copy(os.Stderr, traceR) //nolint:errcheck // the trace is for reading: a lost line fails nothing
		}()
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	done := trace.Begin(trace.Detach, "setsid mydocker-monitor %s </dev/null >>%s 2>&1 &: the container's parent, in a session of its own", utils.ShortID(id), logf.Name())
	err = cmd.Start()
	done(err)
	readyW.Close()
	if traceW != nil {
		traceW.Close()
	}
	if err != nil {
		return errors.Wrap(err, "start monitor")
	}
	data, err := io.ReadAll(readyR)
	if err != nil {
		return errors.Wrap(err, "read monitor report")
	}
	if traced != nil {
		// The start's trace, all of it, before the ID or the error.
		<-traced
	}
	var msg readyMsg
	if err := json.Unmarshal(data, &msg); err != nil {
		// No report: the monitor died before it could say anything.
		werr := cmd.Wait()
		return errors.Errorf("container monitor exited without starting the container (%v); see %s", werr, logf.Name())
	}
	// The monitor now belongs to init; not waiting leaves no zombie once we exit.
	if err := cmd.Process.Release(); err != nil {
		return errors.Wrap(err, "release monitor")
	}
	if msg.Code != 0 {
		return &spec.ExitError{Code: msg.Code, Err: errors.New(msg.Message)}
	}
	return nil
}

// Monitor is the body of a monitor (RunMonitor), the detached
// container's parent: it starts the container, reports to StartMonitor,
// then logs its output, waits for it and records how it ended, exactly as
// a foreground run does in-process; and as long as the restart policy
// says so, waits the back-off and starts it again. With a.Resume it
// starts with the back-off of a loop a foreground run handed over. Once
// the container runs, it execs itself afresh to watch it (respawn.go):
// with a.Adopt, this is that fresh image.
func (s *Store) Monitor(a MonitorArgs) error {
	id := a.ID
	report := reportReady
	if a.Adopt != nil {
		report = func(readyMsg) {} // the first image reported the start
	} else if err := utils.CloseExecFrom(readyFd + 1); err != nil {
		// Keep nothing the caller of run -d had open, past our ready pipe.
		report(readyMsg{Code: constant.ExitMydocker, Message: err.Error()})
		return &spec.ExitError{Code: constant.ExitMydocker}
	}
	// No terminal: hangups are not for us. Caught and dropped, not
	// ignored: an ignored signal stays ignored across fork and exec, so
	// the container's command would start with SIGHUP ignored, and a
	// shell may not even trap it then (a --stop-signal SIGHUP would do
	// nothing). A caught one is reset to the default in the child.
	hups := make(chan os.Signal, 1)
	signal.Notify(hups, unix.SIGHUP)
	defer signal.Stop(hups)
	// Stop requests go to the container; between runs they end the loop.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, unix.SIGINT, unix.SIGTERM)

	if a.Adopt == nil {
		if err := s.enterMonitorScope(id); err != nil {
			report(readyMsg{Code: constant.ExitMydocker, Message: err.Error()})
			return &spec.ExitError{Code: constant.ExitMydocker}
		}
	}
	endStartTrace := startTrace()
	// Init is forked by this goroutine, locked to the main thread
	// (RunMonitor): only then may respawn exec.
	runner := &Runner{Store: s, Debug: a.Debug, Respawn: true}
	var c *Running
	backoff := &Backoff{}
	next := RestartDecision{}
	switch {
	case a.Adopt != nil:
		endStartTrace()
		var err error
		if c, err = s.adopt(id, a.Adopt); err != nil {
			return err
		}
		backoff.last = a.Adopt.Backoff
	case a.Resume == nil:
		var err error
		c, err = runner.Start(id, Attach{})
		endStartTrace() // the caller now has the whole start's trace
		if err != nil {
			code := spec.ExitCode(err)
			report(readyMsg{Code: code, Message: err.Error()})
			return &spec.ExitError{Code: code}
		}
	default:
		endStartTrace() // a monitor taking over a restart loop starts nothing yet
		if err := s.takeOver(id, a.Resume); err != nil {
			report(readyMsg{Code: constant.ExitMydocker, Message: err.Error()})
			return &spec.ExitError{Code: constant.ExitMydocker}
		}
		backoff.last = a.Resume.Delay
		next = RestartDecision{Again: true, Delay: a.Resume.Delay}
	}
	report(readyMsg{})
	target := &signalTarget{wake: make(chan struct{}, 1)}
	target.set(c)
	go ForwardSignals(sigs, target.send)
	trimmed := false
	for {
		if c != nil {
			if c.unwatched {
				// Returns only if it could not exec: then watch here.
				err := c.respawn(a, backoff)
				log.Debugf("watching in place: %v", err)
				c.watch(nil)
			}
			if !trimmed {
				// From here the monitor mostly sleeps in wait: give back
				// the pages of the binary it only needed to start, once
				// the goroutines just started (output, signals, health)
				// have settled into their waits: what they run first
				// would otherwise come back for good.
				time.AfterFunc(trimSettle, utils.TrimResident)
				trimmed = true
			}
			var err error
			if _, next, err = c.WaitRestart(backoff); err != nil || !next.Again {
				return err
			}
			target.set(nil)
		}
		log.Debugf("restarting in %v", next.Delay)
		t := time.NewTimer(next.Delay)
		select {
		case <-t.C:
		case <-target.wake:
			// stop, kill or a SIGTERM of our own: nothing to restart.
			t.Stop()
			s.endRestart(id, nil)
			return nil
		}
		var err error
		c, err = runner.restart(id)
		if err == errNotRestarting {
			return nil
		}
		if err != nil {
			s.endRestart(id, err)
			return err
		}
		target.set(c)
	}
}

// trimSettle is how long after the container runs the monitor gives back
// the binary's pages it needed only to start.
const trimSettle = 500 * time.Millisecond

// reportReady tells StartMonitor how the start went, once: on readyFd,
// then closed.
func reportReady(msg readyMsg) {
	ready := os.NewFile(readyFd, "ready")
	data, err := json.Marshal(msg)
	if err == nil {
		_, err = ready.Write(data)
	}
	if cerr := ready.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		log.Warnf("report to run -d: %v", err)
	}
}

// signalTarget is where the monitor's SIGINT and SIGTERM go: to the
// running container, and to the back-off sleep, which they end.
type signalTarget struct {
	mu   sync.Mutex
	c    *Running
	wake chan struct{}
}

func (t *signalTarget) set(c *Running) {
	t.mu.Lock()
	t.c = c
	t.mu.Unlock()
}

func (t *signalTarget) send(sig os.Signal) error {
	// The back-off hears it too, even while a container runs: a stop may
	// wake us between the exit and set(nil), and a monitor told to stop
	// (at shutdown) must not go on restarting what it forwarded it to.
	select {
	case t.wake <- struct{}{}:
	default:
	}
	t.mu.Lock()
	c := t.c
	t.mu.Unlock()
	if c != nil {
		return c.Signal(sig)
	}
	return nil
}

// startTrace turns the trace on towards the caller of run -d, when it
// passed a pipe for it, and returns what ends that: closing the pipe, so
// the caller reads EOF; the rest of the trace goes to the monitor's log.
func startTrace() func() {
	if os.Getenv(traceFdEnv) != strconv.Itoa(traceFd) {
		return func() {}
	}
	os.Unsetenv(traceFdEnv) //nolint:errcheck // nothing started later needs it
	f := os.NewFile(traceFd, "trace")
	trace.Enable(f)
	return func() {
		trace.Redirect(os.Stderr)
		f.Close()
	}
}

// enterMonitorScope gives the monitor of a container whose cgroups
// systemd manages a scope of its own (cgroups.EnterMonitorScope).
func (s *Store) enterMonitorScope(id string) error {
	rec, err := s.Get(id)
	if err != nil {
		return err
	}
	if rec.CgroupManager != cgroups.DriverSystemd {
		return nil
	}
	return cgroups.EnterMonitorScope(id)
}
