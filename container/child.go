package container

import (
	stderrors "errors"
	"os"
	"runtime"
	"sync"
	"syscall"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// child is a process this one started: a container's init or exec's
// stub. It is forked and exec'd with syscall.ForkExec, not os/exec: the
// first start of a process through os.StartProcess probes pidfd support
// by forking a child of its own, about half a millisecond on the path of
// every run and exec. A pidfd of its own signals the child safely, even
// once it is reaped and its pid reused.
type child struct {
	pid   int
	mu    sync.Mutex
	pidfd int  // -1: none (a kernel without pidfd_open), or released
	done  bool // reaped: its pid may be another process's now
	ws    syscall.WaitStatus
}

// errChildDone is a signal for a child already reaped.
var errChildDone = stderrors.New("the process has exited")

// startChild starts path with args and env; files become its fds 0, 1,
// 2, 3, ... (a nil file: that fd closed); sys is how it is cloned.
func startChild(path string, args, env []string, files []*os.File, sys *syscall.SysProcAttr) (*child, error) {
	fds := make([]uintptr, len(files))
	for i, f := range files {
		fds[i] = ^uintptr(0)
		if f != nil {
			fds[i] = f.Fd()
		}
	}
	pid, err := syscall.ForkExec(path, args, &syscall.ProcAttr{Env: env, Files: fds, Sys: sys})
	runtime.KeepAlive(files)
	if err != nil {
		return nil, err
	}
	// Only this process reaps the child, so its pid is still its own here.
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		pidfd = -1
	}
	return &child{pid: pid, pidfd: pidfd}, nil
}

// signal passes sig to the child while it is ours to signal: never once
// it is reaped, when its pid may name another process (or, cleared,
// every process: kill(-1)).
func (p *child) signal(sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return errors.Errorf("cannot forward %v", sig)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.done:
		return errChildDone
	case p.pidfd >= 0:
		return unix.PidfdSendSignal(p.pidfd, s, nil, 0)
	default:
		return syscall.Kill(p.pid, s)
	}
}

// wait reaps the child and returns its status; once reaped, it returns
// that status again. It waits for the exit without reaping first
// (WNOWAIT), so that signal, under the same lock, never sends to the pid
// once the reap may have freed it.
func (p *child) wait() (syscall.WaitStatus, error) {
	p.mu.Lock()
	pid, ws := p.pid, p.ws
	p.mu.Unlock()
	if pid == 0 {
		return ws, nil
	}
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err == nil {
			break
		}
		if err != unix.EINTR {
			return 0, err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pid == 0 {
		return p.ws, nil // another wait reaped it meanwhile
	}
	p.done = true
	for {
		_, err := syscall.Wait4(p.pid, &p.ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err == nil {
			p.pid = 0 // reaped: wait returns the status kept
		}
		return p.ws, err
	}
}

// release closes the pidfd.
func (p *child) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = true
	if p.pidfd >= 0 {
		unix.Close(p.pidfd)
	}
	p.pidfd = -1
}
