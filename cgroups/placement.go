package cgroups

import (
	"os"
	"path/filepath"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// Placement says how a new process can enter a container's cgroup without
// being moved from outside. Moving a running task from outside (Apply)
// takes the kernel's process-wide threadgroup lock, whose RCU grace period
// costs ~10 ms per start; the two ways here skip it:
//
//   - v2: the process is created inside the cgroup (clone3's
//     CLONE_INTO_CGROUP takes Dir's file descriptor), so nothing moves;
//   - v1: the process moves itself, one thread at a time, by writing "0"
//     to the Tasks files. Container init does so from the thread that
//     later execs the user's command (exec ends every other thread).
//
// v2 moves threads only within a threaded subtree, which a container's
// cgroup is not, so a v2 process that was not created inside is applied by
// its parent.
type Placement struct {
	// Dir is the cgroup2 directory to create the process in; "" on v1,
	// where a cgroup is one directory per hierarchy.
	Dir string
	// Tasks are the v1 tasks files a thread writes "0" to, to join the
	// cgroup itself; nil on v2.
	Tasks []string
}

// OpenDir opens Dir for CLONE_INTO_CGROUP; it returns nil on v1.
func (p Placement) OpenDir() (*os.File, error) {
	if p.Dir == "" {
		return nil, nil
	}
	f, err := os.OpenFile(p.Dir, os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	return f, errors.Wrapf(err, "open cgroup %s", p.Dir)
}

// JoinFiles are the files a process writes "0" to, to join the cgroup
// itself (nsexec, just before it execs the command: JoinOpen): v1's tasks
// files, v2's cgroup.procs.
func (p Placement) JoinFiles() []string {
	if p.Dir != "" {
		return []string{filepath.Join(p.Dir, "cgroup.procs")}
	}
	return p.Tasks
}

// JoinOpen writes "0" to each open JoinFiles file and closes it: v1's
// tasks files move the calling thread, v2's cgroup.procs its whole
// process, threads included (moving in is never refused by pids.max).
// The caller stays on its thread until it execs.
func JoinOpen(files []*os.File) error {
	var err error
	for _, f := range files {
		if err == nil {
			if _, werr := f.WriteString("0"); werr != nil {
				err = errors.Wrapf(werr, "join cgroup %s", f.Name())
			}
		}
		f.Close()
	}
	return err
}

// JoinSelf moves the calling thread into the cgroups whose v1 tasks files
// are given (Placement.Tasks). The caller must stay on this thread
// (runtime.LockOSThread) until it execs.
func JoinSelf(tasks []string) error {
	for _, f := range tasks {
		if err := writeFile(filepath.Dir(f), filepath.Base(f), "0"); err != nil {
			return err
		}
	}
	return nil
}

// A limit on the number of tasks counts every thread of the container's
// first process, and until it execs the user's command that is mydocker
// init, a Go program whose runtime starts threads as it sets up: created
// under a small pids.max it dies before the command runs (on v2, where it
// is created inside its cgroup). So, as runc does, that limit is written
// once init has set itself up and before it execs: it then counts the
// container's processes exactly, and init, whose threads are already
// there, needs no new ones.

// Early returns r without the limits SetLate writes.
func (r Resources) Early() Resources {
	r.PidsLimit = 0
	return r
}

// SetLate writes the limits Early leaves out into m's cgroup.
func SetLate(m Manager, r *Resources) error {
	if r.PidsLimit == 0 {
		return nil
	}
	for sub, dir := range m.Paths() {
		if sub == "" || sub == pidsController.name {
			return setPids(dir, r)
		}
	}
	return nil
}
