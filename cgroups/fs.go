package cgroups

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"

	"mydocker/trace"
)

// writeFile writes one value to a cgroup interface file. The file must
// exist in a real cgroup; O_CREATE only matters for test trees.
func writeFile(dir, name, value string) (err error) {
	p := filepath.Join(dir, name)
	done := trace.Begin(trace.Cgroups, "echo %s > %s", value, p)
	defer func() { done(err) }()
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return errors.Wrapf(err, "open %s", p)
	}
	if _, err := f.WriteString(value); err != nil {
		f.Close()
		return errors.Wrapf(err, "write %q to %s", value, p)
	}
	return errors.Wrapf(f.Close(), "write %q to %s", value, p)
}

// writeIfPresent writes value to an interface file the kernel may not
// offer (swap accounting is optional); a missing file is no error.
func writeIfPresent(dir, name, value string) error {
	if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
		return nil
	}
	return writeFile(dir, name, value)
}

func readFile(dir, name string) (string, error) {
	p := filepath.Join(dir, name)
	data, err := os.ReadFile(p)
	if err != nil {
		return "", errors.Wrapf(err, "read %s", p)
	}
	return strings.TrimSpace(string(data)), nil
}

func readUint(dir, name string) (uint64, error) {
	s, err := readFile(dir, name)
	if err != nil {
		return 0, err
	}
	if s == "max" {
		return 0, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, errors.Wrapf(err, "parse %s/%s", dir, name)
}

// readInt reads a signed number (v1's unlimited reads as a huge number,
// some files as -1).
func readInt(dir, name string) (int64, error) {
	s, err := readFile(dir, name)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// Unlimited v1 limits are 2^63 rounded down to a page: still an int64.
		return 0, errors.Wrapf(err, "parse %s/%s", dir, name)
	}
	return v, nil
}

// keyedValue finds "key N" in a flat-keyed file (memory.events, cpu.stat,
// memory.oom_control).
func keyedValue(dir, name, key string) (uint64, error) {
	s, err := readFile(dir, name)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return n, errors.Wrapf(err, "parse %s in %s/%s", key, dir, name)
		}
	}
	return 0, nil
}

// removeCgroup removes one cgroup directory. While the kernel still
// counts tasks in it (a killed process not yet reaped), rmdir fails with
// EBUSY: kill whatever is listed and retry. A missing directory is fine.
func removeCgroup(dir string, rmdir func(string) error) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		done := trace.Begin(trace.Cgroups, "rmdir %s", dir)
		err := rmdir(dir)
		if err == nil {
			done(nil)
			return nil
		}
		if os.IsNotExist(err) || errors.Is(err, unix.ENOENT) {
			return nil // nothing to remove: nothing to trace
		}
		if !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
			return errors.Wrapf(err, "remove cgroup %s", dir)
		}
		if procs, rerr := readFile(dir, "cgroup.procs"); rerr == nil {
			for _, f := range strings.Fields(procs) {
				if pid, perr := strconv.Atoi(f); perr == nil {
					unix.Kill(pid, unix.SIGKILL) //nolint:errcheck // may have exited meanwhile
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func rmdir(dir string) error { return unix.Rmdir(dir) }

// keepParent: the shared mydocker/ directory stays once made, as Docker's
// docker/ does. Removing it with the last container and making it again
// with the next cost every run --rm eight cgroup mkdirs and rmdirs (a
// memory cgroup's are the dearest), the cpuset copied down and, on v2,
// the controllers enabled again: about half a millisecond. An empty
// parent holds no task and no limit.

// retryCreate runs create again when something else (an administrator,
// an older mydocker) removed the shared parent between our mkdirs
// (ENOENT), or between opening its
// cgroup.subtree_control and writing it (v2: ENODEV, a deleted cgroup).
func retryCreate(create func() error) error {
	var err error
	for i := 0; i < 5; i++ {
		if err = create(); err == nil || !(errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV)) {
			return err
		}
	}
	return err
}

// splitPath splits a relative cgroup path (mydocker/<id>) into the levels
// that are created one by one.
func splitPath(rel string) []string {
	var parts []string
	for rel != "." && rel != "/" && rel != "" {
		parts = append([]string{filepath.Base(rel)}, parts...)
		rel = filepath.Dir(rel)
	}
	return parts
}

// hostMemory is the machine's RAM, shown as the limit of an unlimited container.
func hostMemory() uint64 {
	var info unix.Sysinfo_t
	if unix.Sysinfo(&info) != nil {
		return 0
	}
	return uint64(info.Totalram) * uint64(info.Unit)
}

// mkdirCgroup creates one cgroup directory (and its missing parents).
func mkdirCgroup(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	done := trace.Begin(trace.Cgroups, "mkdir -p %s", dir)
	err := os.MkdirAll(dir, 0o755)
	done(err)
	return errors.Wrapf(err, "create cgroup %s", dir)
}
