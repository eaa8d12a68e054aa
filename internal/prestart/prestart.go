// Package prestart starts the init of a foreground `mydocker run` from
// the first moments of the CLI's life, before the rest of the program has
// initialised its packages or read its command line. mydocker imports
// its subpackage auto for the side effect, which calls Begin:
//
//	import _ "mydocker/internal/prestart/auto"
//
// A run's longest wait is for init: its Go runtime takes 10-15 ms to start
// on the 2-CPU VM of `make bench`, while the CLI, once it knows its flags,
// needs only 5-6 ms to find the image, write the record and mount the
// rootfs. Started from here, 3 ms before the CLI has parsed its flags (the
// rest of its package initialisation and the CLI library), init is that
// much further on when its config comes.
//
// This package reads the command line itself, cheaply and conservatively
// (Plan): a run that is not obviously a foreground one with fresh
// namespaces gets no init from here. It imports only syscall, sync and
// unsafe, so that auto's init runs among the standard library's first
// packages' (Go initialises packages in the order of their import paths,
// once their imports are): 4 ms after the runtime has started here, the
// CLI's runAction 7 ms after.
//
// Nothing here decides: container.StartEarlyInit takes this init (Take)
// only if it is the one the parsed command line asks for, the same new
// namespaces, terminal, stdin and log, and discards it otherwise, as it
// does when the run ends without using it. Should nothing take it, the
// kernel kills it when this process exits: its parent-death signal, and
// EOF on its config pipe.
package prestart

import (
	"sync"
	"syscall"
	"unsafe"
)

// These mirror container/spec and container (spec.InitCommand, spec.LogArg,
// container.InsideName); a test checks they agree. Importing those
// packages would order this package's init after all of theirs.
const (
	initCommand = "init"
	logArg      = "--log-fd-5"
	insideName  = "mydocker-inside"
)

// Started is an init started here, waiting for its config as any init
// does. Its descriptors are ours to close, all close-on-exec.
type Started struct {
	Plan
	Pid int
	// ForkedBy is the thread that forked init: its parent-death signal
	// fires when that thread ends.
	ForkedBy int
	// Exe is the read-only view of mydocker-inside init runs from.
	Exe int
	// Config is the write end of init's config pipe (spec.ConfigFd), Sync
	// our end of its sync socket (spec.SyncFd).
	Config, Sync int
	// Ends are our ends of its stdio pipes without a terminal: stdout's
	// and stderr's read ends, then stdin's write end with -i.
	Ends []int
}

var (
	done     chan struct{} // closed once Begin's start has finished
	mu       sync.Mutex
	started  *Started
	startErr error // why a planned start failed
)

// Begin starts init, on a goroutine of its own, if this process's command
// line is a run this package serves. Package auto calls it from its init;
// nothing else should.
func Begin() {
	if done != nil {
		return
	}
	done = make(chan struct{})
	plan, ok := planForSelf()
	if !ok {
		close(done)
		return
	}
	// The clone waits for init's exec (CLONE_VFORK), over a millisecond
	// with new namespaces: on a goroutine of its own, it overlaps the
	// initialisation of the rest of the program.
	go func() {
		defer close(done)
		s, err := start(plan)
		mu.Lock()
		// On failure the run starts init itself, later, as without this
		// package; Err says why, for its debug log.
		started, startErr = s, err
		mu.Unlock()
	}()
}

// Take returns the init started here, once, and nil if there is none
// (the command line is not a run this package serves, or the start
// failed). It waits for the start to finish.
func Take() *Started {
	if done == nil {
		return nil // never begun
	}
	<-done
	mu.Lock()
	defer mu.Unlock()
	s := started
	started = nil
	return s
}

// Err is why a start this package planned failed, nil if none did. It
// waits for the start to finish.
func Err() error {
	if done == nil {
		return nil
	}
	<-done
	mu.Lock()
	defer mu.Unlock()
	return startErr
}

// Discard kills and reaps the init started here unless it was taken.
func Discard() {
	if s := Take(); s != nil {
		s.Discard()
	}
}

// Discard kills and reaps init and closes every descriptor of it.
func (s *Started) Discard() {
	syscall.Kill(s.Pid, syscall.SIGKILL) //nolint:errcheck // it may be gone; Wait4 reaps it either way
	var ws syscall.WaitStatus
	for {
		if _, err := syscall.Wait4(s.Pid, &ws, 0, nil); err != syscall.EINTR {
			break
		}
	}
	closeFds(append([]int{s.Exe, s.Config, s.Sync}, s.Ends...)...)
}

// planForSelf is Plan for this process's command line and environment,
// on this host.
func planForSelf() (Plan, bool) {
	args, err := cmdline()
	if err != nil {
		return Plan{}, false
	}
	plan, ok := PlanFor(args, getenv)
	// On cgroup v2, init is created inside its cgroup, which a clone
	// before the cgroup exists cannot do (container.EarlyInitFor). Asked
	// last: every other command pays only for reading its command line.
	return plan, ok && !cgroupV2()
}

func getenv(key string) string {
	v, _ := syscall.Getenv(key)
	return v
}

// cmdline reads this process's arguments from /proc: os.Args would make
// this package's init wait for package os's.
func cmdline() ([]string, error) {
	fd, err := syscall.Open("/proc/self/cmdline", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	var buf []byte
	chunk := make([]byte, 4096)
	for {
		n, err := syscall.Read(fd, chunk)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		buf = append(buf, chunk[:n]...)
	}
	var args []string
	for len(buf) > 0 {
		i := 0
		for i < len(buf) && buf[i] != 0 {
			i++
		}
		args = append(args, string(buf[:i]))
		if i < len(buf) {
			i++
		}
		buf = buf[i:]
	}
	return args, nil
}

// cgroupV2 says whether /sys/fs/cgroup is a cgroup2 mount (a pure v2
// host; a v1 or hybrid one has a tmpfs there).
func cgroupV2() bool {
	const cgroup2Magic = 0x63677270 // CGROUP2_SUPER_MAGIC
	var st syscall.Statfs_t
	return syscall.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == cgroup2Magic
}

// start starts init as the plan asks: the clone of container.NewProcess,
// with its descriptors in the same places.
func start(plan Plan) (s *Started, err error) {
	exe, err := insideView()
	if err != nil {
		return nil, err
	}
	var fds []int // every descriptor made here, closed on failure
	defer func() {
		if err != nil {
			closeFds(fds...)
		}
	}()
	pipe := func() (r, w int, err error) {
		var p [2]int
		if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
			return -1, -1, &opError{"pipe", err}
		}
		fds = append(fds, p[0], p[1])
		return p[0], p[1], nil
	}
	fds = append(fds, exe)
	cfgR, cfgW, err := pipe()
	if err != nil {
		return nil, err
	}
	sock, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, &opError{"sync socket", err}
	}
	fds = append(fds, sock[0], sock[1])
	// Without a terminal, fds 0-2 are pipes whose other ends the run
	// relays; with one, init replaces them with the pty and they stay
	// closed, as container.newStdio leaves them.
	child := []int{-1, -1, -1, cfgR, sock[1]}
	var ends, theirs []int
	if !plan.Tty {
		outR, outW, err := pipe()
		if err != nil {
			return nil, err
		}
		errR, errW, err := pipe()
		if err != nil {
			return nil, err
		}
		child[1], child[2] = outW, errW
		ends, theirs = []int{outR, errR}, []int{outW, errW}
		if plan.Stdin {
			inR, inW, err := pipe()
			if err != nil {
				return nil, err
			}
			child[0] = inR
			ends, theirs = append(ends, inW), append(theirs, inR)
		}
	}
	argv := []string{"mydocker-init", initCommand}
	if plan.Debug {
		child = append(child, 2) // init's log to our stderr
		argv = append(argv, logArg)
	}
	files := make([]uintptr, len(child))
	for i, fd := range child {
		files[i] = uintptr(fd) // -1: closed in the child
	}
	attr := &syscall.ProcAttr{
		Env:   []string{"GOMAXPROCS=1"},
		Files: files,
		Sys:   &syscall.SysProcAttr{Cloneflags: plan.Flags, Pdeathsig: syscall.SIGKILL},
	}
	// init is exec'd through /proc/self/fd/N once the child has moved
	// its descriptors into place: N must be none it writes. Those are
	// fds 0 to len(files)-1 and, to move one out of the way, the ones
	// above the highest in files (syscall.forkAndExecInChild).
	top := 0
	for _, fd := range child {
		top = max(top, fd)
	}
	high, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(exe), syscall.F_DUPFD_CLOEXEC, uintptr(top+len(files)+2))
	if e != 0 {
		return nil, &opError{"move the view of " + insideName + " up", e}
	}
	fds = append(fds, int(high))
	pid, err := syscall.ForkExec("/proc/self/fd/"+itoa(int(high)), argv, attr)
	if err != nil {
		return nil, &opError{"start init in new namespaces", err}
	}
	closeFds(append(theirs, cfgR, sock[1], exe)...)
	return &Started{Plan: plan, Pid: pid, ForkedBy: syscall.Gettid(), Exe: int(high),
		Config: cfgW, Sync: sock[0], Ends: ends}, nil
}

// insideView opens mydocker-inside, beside our binary, as a read-only
// mount detached from every namespace: what container.OpenSealedSelf
// makes, without its fallback (a sealed copy) for kernels that refuse.
func insideView() (int, error) {
	buf := make([]byte, 4096)
	n, err := syscall.Readlink("/proc/self/exe", buf)
	if err != nil {
		return -1, &opError{"readlink /proc/self/exe", err}
	}
	self := string(buf[:n])
	dir := self
	for len(dir) > 0 && dir[len(dir)-1] != '/' {
		dir = dir[:len(dir)-1]
	}
	path := dir + insideName
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return -1, &opError{"stat " + path, err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return -1, &opError{path, syscall.EINVAL}
	}
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return -1, err
	}
	const (
		sysOpenTree     = 428 // the same number on every architecture
		sysMountSetattr = 442
		openTreeClone   = 0x1
		openTreeCloexec = syscall.O_CLOEXEC
		atEmptyPath     = 0x1000
		mountAttrRdonly = 0x1
		mountAttrSize   = 32 // struct mount_attr, MOUNT_ATTR_SIZE_VER0
		atFdcwd         = -100
	)
	dirfd := atFdcwd
	r, _, e := syscall.Syscall(sysOpenTree, uintptr(dirfd), uintptr(unsafe.Pointer(p)), openTreeClone|openTreeCloexec)
	if e != 0 {
		return -1, &opError{"open_tree " + path, e}
	}
	fd := int(r)
	attr := [4]uint64{mountAttrRdonly} // attr_set, attr_clr, propagation, userns_fd
	empty := [1]byte{}
	if _, _, e := syscall.Syscall6(sysMountSetattr, uintptr(fd), uintptr(unsafe.Pointer(&empty[0])), atEmptyPath,
		uintptr(unsafe.Pointer(&attr[0])), mountAttrSize, 0); e != 0 {
		syscall.Close(fd)
		return -1, &opError{"mount_setattr read-only " + path, e}
	}
	return fd, nil
}

// opError is a step of the start that failed. (fmt would do, but it
// imports os, and so would order this package's init after os's.)
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

func closeFds(fds ...int) {
	for _, fd := range fds {
		if fd >= 0 {
			syscall.Close(fd)
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}
