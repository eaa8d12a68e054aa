package container

import (
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/constant"
	"mydocker/container/spec"
	"mydocker/trace"
)

// Namespace names one namespace of the container: File nil means a new
// one, otherwise the namespace File refers to (an open /proc/PID/ns/X of
// another container, checked to be that container's) is joined:
// --network|--ipc|--pid|--uts container:C and pods. An open descriptor,
// not a path, so the namespace joined is the one that was checked even if
// its pid is reused meanwhile.
type Namespace struct {
	Type string   `json:"type"` // uts, pid, mnt, ipc, net, cgroup
	File *os.File `json:"-"`
}

// DefaultNamespaces are the namespaces every container gets new. The
// cgroup namespace is made by init itself, once it is in its cgroups, so
// that the namespace's root is the container's own cgroup.
var DefaultNamespaces = []Namespace{{Type: "uts"}, {Type: "pid"}, {Type: "mnt"}, {Type: "ipc"}, {Type: "net"}}

var namespaceFlags = map[string]uintptr{
	"uts": unix.CLONE_NEWUTS, "pid": unix.CLONE_NEWPID, "mnt": unix.CLONE_NEWNS,
	"ipc": unix.CLONE_NEWIPC, "net": unix.CLONE_NEWNET, "cgroup": unix.CLONE_NEWCGROUP,
}

// cloneFlags turns the namespaces made new into clone(2) flags; the ones
// joined are returned apart, for joinAndStart. The mount namespace is
// always the container's own: its rootfs is built there.
func cloneFlags(namespaces []Namespace) (uintptr, []Namespace, error) {
	var flags uintptr
	var join []Namespace
	for _, ns := range namespaces {
		f, ok := namespaceFlags[ns.Type]
		if !ok {
			return 0, nil, errors.Errorf("unknown namespace type %q", ns.Type)
		}
		if ns.File != nil {
			if ns.Type == "mnt" || ns.Type == "cgroup" {
				return 0, nil, errors.Errorf("the %s namespace cannot be joined", ns.Type)
			}
			join = append(join, ns)
			continue
		}
		flags |= f
	}
	return flags, join, nil
}

// joinAndStart runs start inside the namespaces of join: this thread
// enters them, forks init (a child inherits the namespaces of the thread
// that forks it; for pid, setns only chooses the children's namespace,
// which is why init is not made to join them itself), and goes back to
// the host's. Doing it here rather than in C, as exec's stub does, keeps
// init the direct child of this process, so Pdeathsig, Wait and the
// recorded pid stay as for any container.
//
// The goroutine is locked to its thread throughout. The Go runtime starts
// no new thread from a locked one (it uses its template thread), so no
// other thread ever runs in the container's namespaces. If the thread
// cannot go back to the host's namespaces it is not unlocked, so the
// runtime ends it rather than reuse it; init is then killed (Pdeathsig
// follows the thread that forked it) and the start fails.
func joinAndStart(start func() (*child, error), join []Namespace) (c *child, forkedBy int, err error) {
	if len(join) == 0 {
		// This thread forks init, if the caller's goroutine is locked to
		// it: init's parent-death signal follows this thread.
		c, err := start()
		return c, unix.Gettid(), err
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		errc <- func() error {
			var restore []*os.File
			defer func() { closeAll(restore...) }()
			for _, ns := range join {
				// pid_for_children is what setns(CLONE_NEWPID) changes.
				name := ns.Type
				if name == "pid" {
					name = "pid_for_children"
				}
				own, err := os.Open("/proc/thread-self/ns/" + name)
				if err != nil {
					return errors.Wrapf(err, "open own %s namespace", ns.Type)
				}
				restore = append(restore, own)
			}
			// Whatever happens below, this thread goes back to the
			// host's namespaces before it is handed back.
			back := func() error {
				for i, ns := range join {
					if err := unix.Setns(int(restore[i].Fd()), int(namespaceFlags[ns.Type])); err != nil {
						return errors.Wrapf(err, "go back to the host's %s namespace", ns.Type)
					}
				}
				return nil
			}
			for _, ns := range join {
				if err := unix.Setns(int(ns.File.Fd()), int(namespaceFlags[ns.Type])); err != nil {
					if berr := back(); berr != nil {
						return berr // the thread stays locked: it dies
					}
					runtime.UnlockOSThread()
					return errors.Wrapf(err, "join %s namespace", ns.Type)
				}
			}
			started, startErr := start()
			if err := back(); err != nil {
				if startErr == nil {
					started.signal(unix.SIGKILL) //nolint:errcheck // dying already: Pdeathsig
					started.wait()               //nolint:errcheck // its status is not the failure
					started.release()
				}
				return err
			}
			runtime.UnlockOSThread()
			c = started
			return startErr
		}()
	}()
	if err := <-errc; err != nil {
		return nil, 0, err
	}
	return c, 0, nil
}

// Process is the parent's handle on a container's init process.
type Process struct {
	init       *child   // nil when adopted
	configPipe *os.File // parent's write end of spec.ConfigFd
	syncSock   *os.File // parent's end of spec.SyncFd
	Pid        int
	// PtyMaster is the container's terminal when it was started with a tty.
	PtyMaster *os.File
	// InCgroup says init was created inside its cgroup (CLONE_INTO_CGROUP).
	InCgroup bool
	// rootfsSent: init, started before the rootfs was mounted, was sent
	// a copy of the mount (sendRootfs).
	rootfsSent bool
	// forkedBy is the thread that forked init, as seen by the caller of
	// NewProcess (exact when its goroutine is locked to its thread); 0
	// when another thread did, to join namespaces. Init's parent-death
	// signal fires when that thread ends, also when an exec of this
	// process ends every other thread (Running.respawn).
	forkedBy int
	// adopted is init when this process did not start it itself but
	// inherited it from its previous image (adoptProcess); cmd is nil.
	adopted *os.Process
}

// Stdio is what the container's first process gets as fds 0-2. With a tty,
// init replaces them with the pty slave and these are ignored (nil).
type Stdio struct {
	Stdin, Stdout, Stderr *os.File
}

// NewProcess starts `mydocker init` in the given new namespaces. It stops
// before the user's command: init waits for its config (SendConfig) and
// then for the go-ahead (Continue), so the caller can first place the pid
// in cgroups and networks. The exchange is drawn in container/spec/sync.go.
//
// With cgroupDir (a cgroup2 directory), init is created inside that cgroup
// (clone3 CLONE_INTO_CGROUP): nothing has to be moved afterwards. A kernel
// that refuses it gets a plain clone; InCgroup tells which happened.
func NewProcess(namespaces []Namespace, stdio Stdio, logTo, cgroupDir *os.File) (*Process, error) {
	if cgroupDir != nil {
		p, err := newProcess(namespaces, stdio, logTo, cgroupDir)
		if err == nil {
			p.InCgroup = true
			return p, nil
		}
		if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EOPNOTSUPP) {
			return nil, err
		}
		log.Debugf("CLONE_INTO_CGROUP refused (%v): the parent will move init", err)
	}
	return newProcess(namespaces, stdio, logTo, nil)
}

func newProcess(namespaces []Namespace, stdio Stdio, logTo, cgroupDir *os.File) (*Process, error) {
	flags, join, err := cloneFlags(namespaces)
	if err != nil {
		return nil, err
	}
	// init is the container's pid 1 until it execs the user's command, and
	// can become mydocker again through a "#!/proc/self/exe" script: it
	// runs from a sealed copy, so its /proc/1/exe never reaches our binary.
	self, err := Inside()
	if err != nil {
		return nil, err
	}
	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		return nil, errors.Wrap(err, "config pipe")
	}
	defer cfgR.Close()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		cfgW.Close()
		return nil, errors.Wrap(err, "sync socket")
	}
	parentSock := os.NewFile(uintptr(fds[0]), "sync-parent")
	childSock := os.NewFile(uintptr(fds[1]), "sync-child")
	defer childSock.Close()

	args := []string{"mydocker-init", spec.InitCommand}
	files := []*os.File{stdio.Stdin, stdio.Stdout, stdio.Stderr, cfgR, childSock} // spec.ConfigFd, spec.SyncFd
	if logTo != nil {
		files = append(files, logTo) // spec.LogFd
		args = append(args, spec.LogArg)
	}
	// Init reads everything from its config, nothing from the
	// environment, and execs the command with the config's. One P is all
	// it needs: it runs no goroutines, and each further P costs its Go
	// runtime's start memory to set up and threads to spin.
	env := []string{"GOMAXPROCS=1"}
	sys := &syscall.SysProcAttr{
		Cloneflags: flags,
		// The container never outlives the process that watches it: if the
		// monitor is killed, the kernel kills the container too, and rm -f
		// can clean up what is left.
		Pdeathsig: unix.SIGKILL,
	}
	for _, ns := range join {
		if ns.Type == "pid" {
			// Go's child checks its parent is alive by comparing
			// getppid with the parent's pid; in another pid namespace
			// it sees 0 and kills itself (in a new one it is pid 1,
			// immune to its own SIGKILL). Init sets the signal itself.
			sys.Pdeathsig = 0
		}
	}
	if cgroupDir != nil {
		sys.UseCgroupFD = true
		sys.CgroupFD = int(cgroupDir.Fd())
	}
	done := trace.Begin(trace.Namespaces, "clone(%s)%s%s: mydocker init", cloneFlagNames(flags), joinedNames(join), intoCgroup(cgroupDir))
	c, forkedBy, err := joinAndStart(func() (*child, error) { return startChild(self.Path(), args, env, files, sys) }, join)
	done(err)
	if err != nil {
		cfgW.Close()
		parentSock.Close()
		return nil, errors.Wrap(err, "start init in new namespaces")
	}
	return &Process{init: c, configPipe: cfgW, syncSock: parentSock, Pid: c.pid, forkedBy: forkedBy}, nil
}

// adoptProcess is the handle on init when this process inherited it, its
// child, from the image it exec'd from (Running.respawn); pty is init's
// terminal with -t, else nil.
func adoptProcess(pid int, pty *os.File) (*Process, error) {
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil, errors.Wrapf(err, "adopt container init %d", pid)
	}
	return &Process{Pid: pid, PtyMaster: pty, adopted: p}, nil
}

// sendRootfs sends an init started before its rootfs was mounted
// (EarlyInit) a detached copy of the overlay mounted at merged, which
// init attaches at the same path in its own mount namespace: a copy of
// ours from before the mount. The copy is the same file system, not a
// second one: what the container writes, the host sees in merged.
func (p *Process) sendRootfs(merged string) error {
	f, err := detachedRootfs(merged)
	if err != nil {
		return err
	}
	defer f.Close() // init holds it once sent
	if err := spec.Send(p.syncSock, spec.Msg{Type: spec.MsgRootfs}, f); err != nil {
		return err
	}
	p.rootfsSent = true
	return nil
}

// SendConfig gives init its config as soon as it is started, so that init
// builds the container's file system view while the parent puts it in its
// cgroups and networks. init stops before anything that must happen inside
// the cgroups (the cgroup namespace, the user's command) until Continue.
func (p *Process) SendConfig(cfg *spec.InitConfig) error {
	done := trace.Begin(trace.Pipe, "write(%d): the config to init through a pipe (command %q)", spec.ConfigFd, cfg.Args)
	err := spec.WriteFrame(p.configPipe, cfg)
	done(err)
	if err != nil {
		return p.Abort(&spec.ExitError{Code: constant.ExitMydocker, Err: errors.Wrap(err, "send config to init")})
	}
	return nil
}

// Continue waits until init has set itself up, runs ready (nil: nothing)
// while init waits, then lets init finish and exec the user's command, and
// waits until it has. ready is where the limits go that count init's own
// threads: written earlier, they could stop init's runtime from starting
// the threads it sets up with. On failure init has exited (or is killed)
// and the error is a *spec.ExitError carrying the exit code for the user.
func (p *Process) Continue(ready func() error) error {
	if err := p.waitReady(); err != nil {
		return err
	}
	if ready != nil {
		if err := ready(); err != nil {
			return p.Abort(&spec.ExitError{Code: constant.ExitMydocker, Err: err})
		}
	}
	done := trace.Begin(trace.Pipe, "write(%d): the go-ahead, close the pipe", spec.ConfigFd)
	err := spec.SendGoAhead(p.configPipe)
	done(err)
	if err != nil {
		// init died before reading; its own message, if any, explains why.
		return p.Abort(&spec.ExitError{Code: constant.ExitMydocker, Err: errors.Wrap(err, "start init")})
	}
	return p.readSync()
}

// Cancel kills init before it has its config, for a failure of the
// host's own preparations, and returns cause: init dies before it could
// read the closed config pipe and report that instead.
func (p *Process) Cancel(cause error) error {
	p.kill()
	p.configPipe.Close()
	p.syncSock.Close()
	return cause
}

// Abort stops an init that has not exec'd the user's command, because
// the parent's own setup failed. If init had failed first, its error is
// the one that explains what happened, so it wins over cause.
func (p *Process) Abort(cause error) error {
	p.configPipe.Close()
	p.kill()
	defer p.syncSock.Close()
	for {
		msg, f, err := spec.Recv(p.syncSock, unix.MSG_DONTWAIT)
		if f != nil {
			f.Close() // a pty that will not be used
		}
		if errors.Is(err, spec.ErrBadMessage) {
			continue
		}
		if err != nil {
			return cause
		}
		if msg.Type == spec.MsgError {
			return &spec.ExitError{Code: msg.Code, Err: errors.New(msg.Message)}
		}
	}
}

// waitReady reads init's messages until it says it is set up.
func (p *Process) waitReady() error {
	for {
		msg, f, err := spec.Recv(p.syncSock, 0)
		if f != nil {
			f.Close() // no pty is sent before the go-ahead
		}
		if errors.Is(err, spec.ErrBadMessage) {
			return p.Abort(&spec.ExitError{Code: constant.ExitMydocker, Err: errors.Wrap(err, "bad message from init")})
		}
		if err == io.EOF {
			p.configPipe.Close()
			detail := p.exitDetail()
			p.kill()
			p.syncSock.Close()
			return &spec.ExitError{Code: constant.ExitMydocker, Err: errors.New("container init exited before it was set up" + detail)}
		}
		if err != nil {
			return p.Abort(&spec.ExitError{Code: constant.ExitMydocker, Err: errors.Wrap(err, "read from init")})
		}
		switch msg.Type {
		case spec.MsgTrace:
			traceStep(msg.Step)
		case spec.MsgReady:
			return nil
		case spec.MsgError:
			p.configPipe.Close()
			p.kill()
			p.syncSock.Close()
			return &spec.ExitError{Code: msg.Code, Err: errors.New(msg.Message)}
		}
	}
}

// readSync reads init's messages until EOF.
func (p *Process) readSync() error {
	defer p.syncSock.Close()
	execSeen := false
	for {
		msg, f, err := spec.Recv(p.syncSock, 0)
		if err == io.EOF {
			if execSeen {
				return nil
			}
			detail := p.exitDetail()
			p.kill()
			return &spec.ExitError{Code: constant.ExitMydocker, Err: errors.New("container init exited before starting the command" + detail)}
		}
		if err != nil {
			p.kill()
			if errors.Is(err, spec.ErrBadMessage) {
				return &spec.ExitError{Code: constant.ExitMydocker, Err: errors.Wrap(err, "bad message from init")}
			}
			return &spec.ExitError{Code: constant.ExitMydocker, Err: errors.Wrap(err, "read from init")}
		}
		switch msg.Type {
		case spec.MsgTrace:
			traceStep(msg.Step)
		case spec.MsgPty:
			p.PtyMaster = f
		case spec.MsgExec:
			execSeen = true
		case spec.MsgError:
			p.kill()
			return &spec.ExitError{Code: msg.Code, Err: errors.New(msg.Message)}
		}
	}
}

// exitDetail describes how init ended, after it has been reaped.
func (p *Process) exitDetail() string {
	ws, err := p.init.wait()
	switch {
	case err != nil:
		return " (" + err.Error() + ")"
	case ws.Signaled():
		return " (signal: " + ws.Signal().String() + ")"
	case ws.ExitStatus() != 0:
		return " (exit status " + strconv.Itoa(ws.ExitStatus()) + ")"
	}
	return ""
}

// kill stops an init that failed and reaps it.
func (p *Process) kill() {
	if err := p.init.signal(unix.SIGKILL); err == nil {
		p.init.wait() //nolint:errcheck // its status is not the failure being reported
	}
	p.init.release()
	if p.PtyMaster != nil {
		p.PtyMaster.Close()
		p.PtyMaster = nil
	}
}

// Signal sends sig to the container's first process; once it is reaped,
// os.ErrProcessDone.
func (p *Process) Signal(sig os.Signal) error {
	if p.adopted != nil {
		return p.adopted.Signal(sig)
	}
	if err := p.init.signal(sig); err != nil {
		if errors.Is(err, errChildDone) {
			return os.ErrProcessDone
		}
		return err
	}
	return nil
}

// Wait waits for the container's first process and returns its exit code,
// 128+N when killed by signal N, as a shell reports it.
func (p *Process) Wait() (int, error) {
	if p.adopted != nil {
		st, err := p.adopted.Wait()
		if st == nil {
			return -1, errors.Wrap(err, "wait for container")
		}
		return ExitCode(st.Sys().(syscall.WaitStatus)), nil
	}
	ws, err := p.init.wait()
	p.init.release()
	if err != nil {
		return -1, errors.Wrap(err, "wait for container")
	}
	return ExitCode(ws), nil
}

// ExitCode turns a wait status into the code a shell would report.
func ExitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// cloneFlagNames spells clone flags as the series' code writes them.
func cloneFlagNames(flags uintptr) string {
	var names []string
	for _, f := range []struct {
		bit  uintptr
		name string
	}{{unix.CLONE_NEWUTS, "CLONE_NEWUTS"}, {unix.CLONE_NEWPID, "CLONE_NEWPID"}, {unix.CLONE_NEWNS, "CLONE_NEWNS"},
		{unix.CLONE_NEWIPC, "CLONE_NEWIPC"}, {unix.CLONE_NEWNET, "CLONE_NEWNET"}, {unix.CLONE_NEWCGROUP, "CLONE_NEWCGROUP"}} {
		if flags&f.bit != 0 {
			names = append(names, f.name)
		}
	}
	return strings.Join(names, "|")
}

func intoCgroup(dir *os.File) string {
	if dir == nil {
		return ""
	}
	return " into " + dir.Name() + " (clone3 CLONE_INTO_CGROUP)"
}

// traceStep prints a step init reported.
func traceStep(s *spec.Step) {
	if s == nil {
		return
	}
	trace.Record(trace.Step{Topic: trace.Topic(s.Topic), Cmd: s.Cmd, Duration: time.Duration(s.Nanos), Err: s.Err})
}

// joinedNames tells the trace which namespaces init enters with setns
// before the clone instead of getting new ones (--network container:C,
// pods).
func joinedNames(join []Namespace) string {
	if len(join) == 0 {
		return ""
	}
	names := make([]string, len(join))
	for i, ns := range join {
		names[i] = ns.Type
	}
	return " after setns(" + strings.Join(names, ",") + ")"
}
