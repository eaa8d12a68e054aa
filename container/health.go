package container

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// Health checks, as Docker runs them but without a daemon: the process
// that watches the container (the detached monitor, or a foreground run)
// runs the check every interval with `mydocker exec`, so it is confined
// exactly as any exec'd process is, and records the result in the
// container's State.Health, which inspect shows and ps summarises
// (StatusSuffix).

// Health statuses, Docker's.
const (
	HealthStarting  = "starting"
	HealthHealthy   = "healthy"
	HealthUnhealthy = "unhealthy"
)

// Docker's defaults for what a healthcheck leaves unset.
const (
	defaultHealthInterval = 30 * time.Second
	defaultHealthTimeout  = 30 * time.Second
	defaultHealthRetries  = 3
	// maxHealthOutput is how much of a check's output is kept, and
	// maxHealthLog how many results.
	maxHealthOutput = 4096
	maxHealthLog    = 5
)

// Health is State.Health, as docker inspect shows it.
type Health struct {
	Status        string         `json:"Status"`
	FailingStreak int            `json:"FailingStreak"`
	Log           []HealthResult `json:"Log"`
}

// HealthResult is one check.
type HealthResult struct {
	Start    time.Time `json:"Start"`
	End      time.Time `json:"End"`
	ExitCode int       `json:"ExitCode"`
	Output   string    `json:"Output"`
}

// StatusSuffix is what ps adds to a running container's status, as
// Docker's "Up 5 seconds (healthy)": " (healthy)", " (unhealthy)",
// " (health: starting)", or "" without a healthcheck or once exited.
func (st *State) StatusSuffix() string {
	if st.Health == nil || st.Status != StatusRunning {
		return ""
	}
	if st.Health.Status == HealthStarting {
		return " (health: starting)"
	}
	return " (" + st.Health.Status + ")"
}

// HealthFlags are run's --health-* flags; zero values leave the image's.
type HealthFlags struct {
	Cmd         string
	Interval    time.Duration
	Timeout     time.Duration
	StartPeriod time.Duration
	Retries     int
	Disable     bool // --no-healthcheck
}

// MergeHealthcheck sets c.Healthcheck from the image's HEALTHCHECK and
// the flags, with Docker's rules: each flag given replaces the image's
// field; --no-healthcheck (or an image's NONE) disables it.
func (c *Config) MergeHealthcheck(img *v1.HealthConfig, f HealthFlags) {
	if f.Disable {
		c.Healthcheck = &v1.HealthConfig{Test: []string{"NONE"}}
		return
	}
	h := v1.HealthConfig{}
	if img != nil {
		h = *img
		h.Test = cloneStrings(img.Test)
	}
	if f.Cmd != "" {
		h.Test = []string{"CMD-SHELL", f.Cmd}
	}
	if f.Interval != 0 {
		h.Interval = f.Interval
	}
	if f.Timeout != 0 {
		h.Timeout = f.Timeout
	}
	if f.StartPeriod != 0 {
		h.StartPeriod = f.StartPeriod
	}
	if f.Retries != 0 {
		h.Retries = f.Retries
	}
	if len(h.Test) == 0 {
		c.Healthcheck = nil
		return
	}
	c.Healthcheck = &h
}

// healthArgs is the check as exec's arguments; nil when there is none.
func (c *Config) healthArgs() []string {
	h := c.Healthcheck
	if h == nil || len(h.Test) == 0 {
		return nil
	}
	switch h.Test[0] {
	case "CMD":
		if len(h.Test) > 1 {
			return h.Test[1:]
		}
	case "CMD-SHELL":
		if len(h.Test) > 1 {
			return []string{"/bin/sh", "-c", h.Test[1]}
		}
	}
	return nil // NONE, or nothing usable
}

// initialHealth is State.Health when the container starts.
func (c *Config) initialHealth() *Health {
	if c.healthArgs() == nil {
		return nil
	}
	return &Health{Status: HealthStarting, Log: []HealthResult{}}
}

// healthChecker runs a container's checks until stopped.
type healthChecker struct {
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// startHealthChecks starts checking container id if rec has a check.
func startHealthChecks(store *Store, rec *Record) *healthChecker {
	args := rec.Config.healthArgs()
	if args == nil {
		return nil
	}
	h := *rec.Config.Healthcheck
	if h.Interval <= 0 {
		h.Interval = defaultHealthInterval
	}
	if h.Timeout <= 0 {
		h.Timeout = defaultHealthTimeout
	}
	if h.Retries <= 0 {
		h.Retries = defaultHealthRetries
	}
	ctx, cancel := context.WithCancel(context.Background())
	hc := &healthChecker{cancel: cancel}
	started := time.Now()
	hc.done.Add(1)
	go func() {
		defer hc.done.Done()
		tick := time.NewTicker(h.Interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			res := runHealthCheck(ctx, store, rec.ID, args, h.Timeout)
			if ctx.Err() != nil {
				return // stopped meanwhile: the container is gone
			}
			inStart := time.Since(started) < h.StartPeriod
			if _, err := store.Update(rec.ID, func(r *Record) error {
				if r.State.Health == nil || r.State.Pid != rec.State.Pid {
					return nil // another start's
				}
				r.State.Health.record(res, h.Retries, inStart)
				return nil
			}); err != nil {
				log.Warnf("recording a health check: %v", err)
			}
		}
	}()
	return hc
}

// stop ends the checks and waits until none is running or recording.
func (hc *healthChecker) stop() {
	if hc == nil {
		return
	}
	hc.cancel()
	hc.done.Wait()
}

// record adds a check's result with Docker's rules: success is healthy at
// once; failures count towards retries, except while the start period
// lasts and the container has not yet been healthy.
func (h *Health) record(res HealthResult, retries int, inStart bool) {
	h.Log = append(h.Log, res)
	if len(h.Log) > maxHealthLog {
		h.Log = h.Log[len(h.Log)-maxHealthLog:]
	}
	if res.ExitCode == 0 {
		h.Status, h.FailingStreak = HealthHealthy, 0
		return
	}
	if inStart && h.Status == HealthStarting {
		return
	}
	h.FailingStreak++
	if h.FailingStreak >= retries {
		h.Status = HealthUnhealthy
	}
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		if len(p) > room {
			b.buf.Write(p[:room])
		} else {
			b.buf.Write(p)
		}
	}
	return len(p), nil
}

// runHealthCheck runs args in container id with mydocker exec (store.CLI). Past the
// timeout the exec is told to stop (exec passes SIGTERM on to the check),
// then killed, and the result is a failure, as Docker's.
func runHealthCheck(ctx context.Context, store *Store, id string, args []string, timeout time.Duration) HealthResult {
	res := HealthResult{Start: time.Now().UTC()}
	cli := store.CLI
	if cli == "" {
		var err error
		if cli, err = os.Executable(); err != nil {
			res.End, res.ExitCode, res.Output = time.Now().UTC(), -1, err.Error()
			return res
		}
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(tctx, cli, append([]string{"--root", store.Layout.Root, "exec", id}, args...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(unix.SIGTERM) }
	cmd.WaitDelay = 2 * time.Second
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out := &limitedBuffer{max: maxHealthOutput}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the monitor's signals are not its own
	err := cmd.Run()
	res.End = time.Now().UTC()
	res.Output = out.buf.String()
	switch {
	case tctx.Err() == context.DeadlineExceeded:
		res.ExitCode = -1
		res.Output = fmt.Sprintf("Health check exceeded timeout (%v)", timeout)
	case cmd.ProcessState != nil:
		res.ExitCode = cmd.ProcessState.ExitCode()
	default:
		res.ExitCode = -1
		res.Output = errors.Wrap(err, "run health check").Error()
	}
	return res
}

// ParseHealthRetries reads --health-retries: a number, 0 for the default.
func ParseHealthRetries(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, errors.Errorf("invalid --health-retries %q: want a number of failures", s)
	}
	return n, nil
}

// ParseHealthDuration reads a --health-* duration (30s, 1m30s): at least
// a millisecond, as Docker requires, or 0 for the default.
func ParseHealthDuration(flag, s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || (d > 0 && d < time.Millisecond) {
		return 0, errors.Errorf("invalid --%s %q: want a duration of at least 1ms, such as 30s", flag, s)
	}
	return d, nil
}
