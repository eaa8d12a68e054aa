package main

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
	"github.com/urfave/cli"
	"golang.org/x/sys/unix"

	"mydocker/container"
)

// parseRunFlags reads run's flags for the container's environment beyond
// its mounts: --env-file, --read-only, --shm-size, --group-add, --ulimit,
// --stop-timeout, --restart and --cidfile. Like every run flag they are checked
// before anything is created.
func parseRunFlags(ctx *cli.Context, o *runOptions) error {
	for _, path := range ctx.StringSlice("env-file") {
		env, err := container.ParseEnvFile(path)
		if err != nil {
			return err
		}
		o.overrides.Env = append(o.overrides.Env, env...)
	}
	c := &o.config
	c.ReadonlyRootfs = ctx.Bool("read-only")
	if c.Init = ctx.Bool("init"); c.Init {
		if _, err := container.ReaperPath(); err != nil {
			return errors.Wrap(err, "--init")
		}
	}
	if v := ctx.String("shm-size"); ctx.IsSet("shm-size") {
		n, err := container.ParseShmSize(v)
		if err != nil {
			return err
		}
		c.ShmSize = n
	}
	var err error
	if c.GroupAdd, err = container.ParseGroupAdd(ctx.StringSlice("group-add")); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, v := range ctx.StringSlice("ulimit") {
		u, err := container.ParseUlimit(v, container.HostHardLimit)
		if err != nil {
			return err
		}
		if seen[u.Name] {
			return errors.Errorf("invalid --ulimit %q: %s given twice", v, u.Name)
		}
		seen[u.Name] = true
		c.Ulimits = append(c.Ulimits, u)
	}
	if v := ctx.String("stop-timeout"); ctx.IsSet("stop-timeout") {
		n, err := strconv.Atoi(v)
		if err != nil || n < -1 {
			return errors.Errorf("invalid --stop-timeout %q: want seconds (-1: wait forever)", v)
		}
		c.StopTimeout = &n
	}
	if err := parseHealthFlags(ctx, &o.health); err != nil {
		return err
	}
	if c.RestartPolicy, err = container.ParseRestartPolicy(ctx.String("restart")); err != nil {
		return err
	}
	if c.AutoRemove && !c.RestartPolicy.None() {
		return errors.New("conflicting options: --restart and --rm (a removed container cannot be restarted)")
	}
	if o.cidfile = ctx.String("cidfile"); ctx.IsSet("cidfile") {
		if o.cidfile == "" {
			return errors.New("invalid --cidfile \"\": want a file name")
		}
		if _, err := os.Lstat(o.cidfile); err == nil {
			return errors.Errorf("container ID file found, make sure the other container isn't running or delete %s", o.cidfile)
		}
	}
	return nil
}

// writeCIDFile writes id to the new file path ("" for none). As Docker,
// it refuses a file that exists: it may be another container's.
func writeCIDFile(path, id string) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if os.IsExist(err) {
		return errors.Errorf("container ID file found, make sure the other container isn't running or delete %s", path)
	}
	if err != nil {
		return errors.Wrap(err, "--cidfile")
	}
	_, err = f.WriteString(id)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return errors.Wrapf(err, "write --cidfile %s", path)
	}
	return nil
}

// parseHealthFlags reads --health-* and --no-healthcheck.
func parseHealthFlags(ctx *cli.Context, h *container.HealthFlags) error {
	h.Cmd, h.Disable = ctx.String("health-cmd"), ctx.Bool("no-healthcheck")
	set := ctx.IsSet("health-cmd")
	for _, f := range []struct {
		name string
		dst  *time.Duration
	}{{"health-interval", &h.Interval}, {"health-timeout", &h.Timeout}, {"health-start-period", &h.StartPeriod}} {
		if !ctx.IsSet(f.name) {
			continue
		}
		set = true
		d, err := container.ParseHealthDuration(f.name, ctx.String(f.name))
		if err != nil {
			return err
		}
		*f.dst = d
	}
	if ctx.IsSet("health-retries") {
		set = true
		n, err := container.ParseHealthRetries(ctx.String("health-retries"))
		if err != nil {
			return err
		}
		h.Retries = n
	}
	if h.Disable && set {
		return errors.New("--no-healthcheck conflicts with --health-* options")
	}
	if ctx.IsSet("health-cmd") && strings.TrimSpace(h.Cmd) == "" {
		return errors.New(`invalid --health-cmd "": want a command`)
	}
	return nil
}
