package container

import (
	"os"
	"slices"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/cgroups"
	"mydocker/internal/prestart"
	"mydocker/trace"
)

// EarlyInit is a container's init started before its record, rootfs and
// cgroups exist: a foreground run starts it as soon as its flags are
// read, so that init's Go runtime starts on the other CPU while this
// process finds the image, writes the record and mounts the overlay,
// instead of after (a run --rm takes 11% less time here). Package
// prestart starts it earlier still, from the unparsed command line
// (StartEarlyInit takes that one).
//
// Its mount namespace is a copy of ours at the clone, without the overlay
// mounted later: the start sends init a detached copy of that mount
// (open_tree), which init attaches at the same path (spec.MsgRootfs). It
// joins its v1 cgroups itself once it has its config, as any init does;
// on v2 it would have to be moved from outside, which costs more than the
// early start saves (cgroups.JoinsLate), so there is none there.
//
// The start takes it (Runner.Early) only if it fits the container as
// created: the same new namespaces, terminal and stdin. Otherwise, and
// if the run fails before, Discard kills it.
type EarlyInit struct {
	namespaces []string // the new ones, in DefaultNamespaces' order
	tty, stdin bool
	// started is closed once the start has returned; proc and ends are
	// set then, unless it failed.
	started chan struct{}
	proc    *Process
	ends    []*os.File // our ends of its stdio pipes (newStdio)
}

// EarlyInitFor says whether a container of cfg, with this cgroup driver,
// may have its init started early, and returns the namespaces it gets
// new. Not when one is joined (another container's, a pod's: their
// descriptors are opened, and checked, with the record), not with a
// shareable ipc namespace (its /dev/shm is a mount made at the start),
// not on v2 (see EarlyInit), and not with --trace, which narrates the
// steps in the series' order: the rootfs and the cgroups before init.
func EarlyInitFor(cfg *Config, driver string) ([]string, bool) {
	if trace.On() || cfg.IpcMode == ModeShareable || !cgroups.JoinsLate(driver) {
		return nil, false
	}
	modes := map[string]string{"net": cfg.Network, "ipc": cfg.IpcMode, "pid": cfg.PidMode, "uts": cfg.UTSMode}
	var fresh []string
	for _, ns := range DefaultNamespaces {
		mode := modes[ns.Type]
		if JoinedID(mode) != "" {
			return nil, false
		}
		if mode != ModeHost {
			fresh = append(fresh, ns.Type)
		}
	}
	return fresh, true
}

// StartEarlyInit starts init in new namespaces of the given types, with
// stdio as a container with tty and stdin gets it; debug passes init's
// log to our stderr, as Runner.Debug does. It returns at once: the clone
// waits for the child's exec (CLONE_VFORK), over a millisecond with new
// namespaces here, which the caller spends finding the image meanwhile.
// A failure only means the start starts init itself, as without.
//
// pre, if not nil, is the init package prestart started before the
// command line was parsed: it is taken if it is the one asked for, and
// discarded otherwise.
func StartEarlyInit(namespaces []string, tty, stdin, debug bool, pre *prestart.Started) *EarlyInit {
	e := &EarlyInit{namespaces: namespaces, tty: tty, stdin: stdin, started: make(chan struct{})}
	if pre != nil {
		if proc, ends, ok := adoptPrestarted(pre, namespaces, tty, stdin, debug); ok {
			e.proc, e.ends = proc, ends
			close(e.started)
			log.Debugf("init started early as pid %d (before the command line was parsed)", proc.Pid)
			return e
		}
	}
	go func() {
		defer close(e.started)
		var err error
		if e.proc, e.ends, err = startEarly(namespaces, tty, stdin, debug); err != nil {
			log.Debugf("init not started early: %v", err)
			return
		}
		log.Debugf("init started early as pid %d", e.proc.Pid)
	}()
	return e
}

// adoptPrestarted makes pre the early init if it is the one asked for;
// otherwise it discards it.
func adoptPrestarted(pre *prestart.Started, namespaces []string, tty, stdin, debug bool) (*Process, []*os.File, bool) {
	ns := make([]Namespace, len(namespaces))
	for i, t := range namespaces {
		ns[i] = Namespace{Type: t}
	}
	flags, _, err := cloneFlags(ns)
	want := prestart.Plan{Flags: flags, Tty: tty, Stdin: stdin, Debug: debug}
	if err != nil || pre.Plan != want {
		log.Debugf("init started before the command line was parsed (pid %d) is not the one it asks for: started again", pre.Pid)
		pre.Discard()
		return nil, nil, false
	}
	// Only this process reaps init, so its pid is still its own here.
	pidfd, err := unix.PidfdOpen(pre.Pid, 0)
	if err != nil {
		pidfd = -1
	}
	adoptInsideIfNone(os.NewFile(uintptr(pre.Exe), "mydocker-ro"))
	ends := make([]*os.File, len(pre.Ends))
	for i, fd := range pre.Ends {
		ends[i] = os.NewFile(uintptr(fd), "stdio")
	}
	return &Process{
		init:       &child{pid: pre.Pid, pidfd: pidfd},
		configPipe: os.NewFile(uintptr(pre.Config), "config"),
		syncSock:   os.NewFile(uintptr(pre.Sync), "sync-parent"),
		Pid:        pre.Pid,
		forkedBy:   pre.ForkedBy,
	}, ends, true
}

// startEarly is StartEarlyInit's start, on its goroutine. That goroutine
// is not locked to its thread, which the Go runtime therefore keeps for
// others: init's parent-death signal follows the thread that forked it.
func startEarly(namespaces []string, tty, stdin, debug bool) (*Process, []*os.File, error) {
	stdio, ends, err := newStdio(tty, stdin)
	if err != nil {
		return nil, nil, err
	}
	var logTo *os.File
	if debug {
		logTo = os.Stderr
	}
	ns := make([]Namespace, len(namespaces))
	for i, t := range namespaces {
		ns[i] = Namespace{Type: t}
	}
	proc, err := NewProcess(ns, stdio, logTo, nil)
	closeAll(stdio.Stdin, stdio.Stdout, stdio.Stderr)
	if err != nil {
		closeAll(ends...)
		return nil, nil, err
	}
	return proc, ends, nil
}

// Discard kills init unless a start has taken it; nil does nothing.
func (e *EarlyInit) Discard() {
	if e == nil {
		return
	}
	<-e.started
	if e.proc == nil {
		return
	}
	e.proc.Cancel(nil) //nolint:errcheck // returns its argument
	closeAll(e.ends...)
	e.proc, e.ends = nil, nil
}

// take hands the early init over to the start of the container of rec,
// whose namespaces j opened and whose caller attaches a, if it fits;
// otherwise it discards it and returns nil.
func (e *EarlyInit) take(rec *Record, j *joins, a Attach) (*Process, []*os.File) {
	if e == nil {
		return nil, nil
	}
	<-e.started
	if e.proc == nil {
		return nil, nil
	}
	if !e.fits(rec, j.namespaces, a.Stdin != nil) {
		log.Debugf("init started early (pid %d) does not fit the container: started again", e.proc.Pid)
		e.Discard()
		return nil, nil
	}
	proc, ends := e.proc, e.ends
	e.proc, e.ends = nil, nil
	return proc, ends
}

// fits says whether the early init is what the start of the container
// of rec would start, in namespaces (as openJoins made them), with stdin
// or without.
func (e *EarlyInit) fits(rec *Record, namespaces []Namespace, stdin bool) bool {
	if e.tty != rec.Config.Tty || e.stdin != stdin || rec.Config.IpcMode == ModeShareable {
		return false
	}
	fresh := make([]string, 0, len(namespaces))
	for _, ns := range namespaces {
		if ns.File != nil {
			return false // joined: init must be forked inside it
		}
		fresh = append(fresh, ns.Type)
	}
	return slices.Equal(fresh, e.namespaces)
}

// detachedRootfs is a copy of the overlay mounted at merged, not attached
// anywhere, for an init whose mount namespace was made before it.
func detachedRootfs(merged string) (*os.File, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, merged, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return nil, errors.Wrapf(err, "open_tree %s", merged)
	}
	return os.NewFile(uintptr(fd), "rootfs-mount"), nil
}
