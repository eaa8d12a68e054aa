package container

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/cgroups"
	"mydocker/container/accounts"
	"mydocker/container/security"
	"mydocker/container/spec"
	"mydocker/trace"
)

// joinOrder is the order namespaces are joined in: mount last, because
// until then the process still needs the host's file system.
var joinOrder = []string{"cgroup", "ipc", "uts", "net", "pid", "mnt"}

// Exec runs cfg in the running container rec and returns its exit code.
//
// This process stays on the host, outside every namespace of the
// container, for as long as the command runs: it is the only one of ours
// that holds the caller's terminal or files, and it relays them to the
// command through pipes, or through a pty from the container's devpts,
// as Podman's conmon does. Nothing the container can see or reach through
// /proc ever holds a host descriptor, our binary or host capabilities:
//
//	mydocker exec (host: works out the plan; relay, signals, exit code)
//	  └─ mydocker-init nsexec, from a read-only view of that C program
//	     (non-dumpable: joins the namespaces, then forks;
//	      stays outside the container's pid namespace and waits)
//	       └─ C, inside every namespace, still non-dumpable: pty,
//	          workdir, the cgroups, PATH, capabilities, seccomp; then it
//	          becomes the command. No Go runtime starts in the stub.
//
// Everything that can be settled on the host is, in an ExecPlan: the
// user, read from the container's /etc/passwd and /etc/group through its
// root, as init reads them; the capabilities kept; the seccomp filter,
// assembled by program (the caller's: this package links no seccomp
// code). The namespace descriptors and the root are opened here and the
// container's pid is checked again afterwards: if it is still the process
// the record names, they are its own, even if the pid is reused later.
func Exec(rec *Record, cfg *spec.ExecConfig, program SeccompProgram) (int, error) {
	pid := rec.State.Pid
	var names []string
	var extra []*os.File // the child's fds 3, 4, ...
	defer func() { closeAll(extra...) }()
	fdOf := func(f *os.File) string {
		extra = append(extra, f)
		return strconv.Itoa(2 + len(extra))
	}
	var nsSpec []string
	for _, ns := range joinOrder {
		f, err := os.Open(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
		if err != nil {
			if ns == "cgroup" && os.IsNotExist(err) {
				continue // kernel without cgroup namespaces
			}
			return 0, errors.Errorf("container %s is not running", rec.Name)
		}
		names = append(names, ns)
		nsSpec = append(nsSpec, ns+":"+fdOf(f))
	}
	root, err := os.OpenFile(fmt.Sprintf("/proc/%d/root", pid), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, errors.Errorf("container %s is not running", rec.Name)
	}
	defer root.Close()
	if !rec.State.Alive() {
		return 0, errors.Errorf("container %s is not running", rec.Name)
	}
	if rec.State.Paused {
		// The new process would join the frozen cgroup and hang there.
		return 0, errors.Errorf("container %s is paused: unpause it before exec", rec.Name)
	}
	// What every process of the container gets (runflags.go).
	cfg.Proc = rec.Config.processExtras()
	cfg.Env = processEnv(hostname(rec), cfg.Tty, cfg.Env)
	plan, err := execPlan(root, cfg, program)
	if err != nil {
		return 0, err
	}
	cgSpec, err := cgroupJoinFds(rec, fdOf)
	if err != nil {
		return 0, err
	}
	planFile, err := execPlanFile(plan)
	if err != nil {
		return 0, err
	}
	env := []string{
		spec.ExecNamespacesEnv + "=" + strings.Join(nsSpec, ","),
		spec.ExecCgroupsEnv + "=" + strings.Join(cgSpec, ","),
		spec.ExecPlanEnv + "=" + fdOf(planFile),
	}
	var sock *os.File // with a tty: our end of the socket the pty master comes on
	if cfg.Tty {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return 0, errors.Wrap(err, "exec sync socket")
		}
		sock = os.NewFile(uintptr(fds[0]), "exec-sync")
		defer sock.Close()
		env = append(env, spec.ExecSyncEnv+"="+fdOf(os.NewFile(uintptr(fds[1]), "exec-sync-child")))
	}
	stub, err := OpenExecStub()
	if err != nil {
		return 0, errors.Wrap(err, "exec")
	}
	defer stub.Close()

	relay, err := newExecRelay(cfg)
	if err != nil {
		return 0, err
	}
	sigs := CatchSignals()
	defer signal.Stop(sigs)
	log.Debugf("exec: joining %s of pid %d", strings.Join(names, ", "), pid)
	done := trace.Begin(trace.Exec, "nsenter -t %d --%s %q: setns into each namespace (mount last), then fork", pid, strings.Join(names, " --"), cfg.Args)
	child, err := startChild(stub.Path(), []string{"mydocker-exec", spec.ExecCommand}, env, append(relay.stdio[:], extra...), &syscall.SysProcAttr{Setpgid: true})
	done(err)
	if err != nil {
		relay.abort()
		return 0, errors.Wrap(err, "start nsexec")
	}
	defer child.release()
	relay.started()
	closeAll(extra...) // the child has its copies
	extra = nil
	go ForwardSignals(sigs, child.signal)
	if sock != nil {
		// The pty master, or EOF if nsexec failed before it had one (its
		// stderr, relayed, says why).
		master, err := recvPtyMaster(sock)
		if err != nil {
			log.Warn(err)
		}
		if master != nil {
			relay.attachPty(master, cfg.Interactive)
		}
	}
	status, werr := child.wait()
	if err := relay.finish(); err != nil {
		log.Warn(err)
	}
	if werr != nil {
		return 0, errors.Wrap(werr, "wait for nsexec")
	}
	return ExitCode(status), nil
}

// cgroupJoinFds opens the files through which nsexec joins the
// container's cgroups just before it execs the command, so the command is
// counted against the container's limits from its first instruction and
// nsexec's own threads never are: v1 "tasks" (one thread, no
// process-wide lock), else v2 "cgroup.procs".
func cgroupJoinFds(rec *Record, fdOf func(*os.File) string) ([]string, error) {
	cg, err := cgroups.New(rec.ID, rec.CgroupManager)
	if err != nil {
		return nil, err
	}
	files := cg.Placement().JoinFiles()
	var spec []string
	for _, name := range files {
		f, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			return nil, errors.Wrapf(err, "join cgroups of %s", rec.Name)
		}
		spec = append(spec, fdOf(f))
	}
	return spec, nil
}

// SeccompProgram assembles the default seccomp filter for a process that
// keeps the capabilities caps (profile.Program).
type SeccompProgram func(caps uint64) ([]unix.SockFilter, error)

// AssembleSeccomp is how this program assembles the filter on a miss of
// the cache (seccompcache.go): profile.Program where it links it (the
// whole CLI: mydocker-kube, a plain go build), else AssemblerAt, which
// asks mydocker-kube (the CLI make builds; a monitor sets it from the
// CLI's place, RunMonitor). Init and exec's stub never assemble.
var AssembleSeccomp SeccompProgram

// keptCaps are the capabilities a container's process keeps: those sec
// asks for that this process holds (what mydocker lacks cannot be handed
// on), as confine works them out inside.
func keptCaps(sec *security.Security) (uint64, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var caps [2]unix.CapUserData
	if err := unix.Capget(&hdr, &caps[0]); err != nil {
		return 0, errors.Wrap(err, "read capabilities")
	}
	permitted := uint64(caps[1].Permitted)<<32 | uint64(caps[0].Permitted)
	return security.CapMask(sec.Capabilities) & permitted, nil
}

// execPlan works cfg out into what the stub does: the user resolved in
// the container's files through root (its /proc/<pid>/root), HOME from
// there, the capabilities kept (those this process holds: what mydocker
// lacks cannot be handed on) and their seccomp filter.
func execPlan(root *os.File, cfg *spec.ExecConfig, program SeccompProgram) (*spec.ExecPlan, error) {
	u, err := accounts.LookupFromHost(root, cfg.User, cfg.Proc.GroupAdd)
	if err != nil {
		return nil, err
	}
	kept, err := keptCaps(&cfg.Security)
	if err != nil {
		return nil, err
	}
	env := accounts.WithHome(cfg.Env, u.Home)
	plan := &spec.ExecPlan{
		Build: spec.BuildID,
		Args:  cfg.Args, Env: env, Cwd: cfg.Cwd, Path: spec.SearchPath(env),
		UID: u.ID.UID, GID: u.ID.GID, Groups: u.ID.Groups,
		Rlimits: cfg.Proc.Rlimits,
		Caps:    kept,
		Tty:     cfg.Tty, ConsoleSize: cfg.ConsoleSize,
	}
	if plan.Cwd == "" {
		plan.Cwd = "/"
	}
	if cfg.Security.Seccomp {
		if plan.Seccomp, err = program(plan.Caps); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// execPlanFile puts the encoded plan in a memfd for nsexec to read.
func execPlanFile(plan *spec.ExecPlan) (*os.File, error) {
	data, err := plan.Encode()
	if err != nil {
		return nil, err
	}
	memfd, err := unix.MemfdCreate("mydocker-exec-plan", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, errors.Wrap(err, "memfd for exec plan")
	}
	f := os.NewFile(uintptr(memfd), "exec-plan")
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, errors.Wrap(err, "write exec plan")
	}
	return f, nil
}

// recvPtyMaster reads the pty master nsexec opened in the container, or
// nil at EOF.
func recvPtyMaster(sock *os.File) (*os.File, error) {
	msg, f, err := spec.Recv(sock, 0)
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrap(err, "receive exec terminal from nsexec")
	}
	if msg.Type != spec.MsgPty {
		return nil, errors.Errorf("bad message from nsexec: %q", msg.Type)
	}
	return f, nil
}

// execRelay connects the caller's stdio to the command: pipes without a
// tty, the pty master with one. It is the only holder of the caller's
// descriptors; the command's side holds only pipe ends and its pty.
type execRelay struct {
	stdio     [3]*os.File // the child's stdin, stdout and stderr
	childEnds []*os.File  // closed once the child has them
	copies    sync.WaitGroup
	// lastOutput (unix ns) and writing tell finish whether output is
	// still flowing to the caller.
	lastOutput atomic.Int64
	writing    atomic.Int32
	detach     func() error // gives the caller's terminal back
	master     *os.File
}

func newExecRelay(cfg *spec.ExecConfig) (*execRelay, error) {
	r := &execRelay{detach: func() error { return nil }}
	// Before the pty exists, nsexec's errors go to our stderr.
	errR, errW, err := os.Pipe()
	if err != nil {
		return nil, errors.Wrap(err, "exec stderr pipe")
	}
	r.childEnds = append(r.childEnds, errW)
	r.stdio[2] = errW
	r.copyOut(os.Stderr, errR)
	if cfg.Tty {
		// stdin and stdout: /dev/null until the pty.
		null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
		if err != nil {
			r.abort()
			return nil, errors.Wrap(err, "open /dev/null for nsexec")
		}
		r.childEnds = append(r.childEnds, null)
		r.stdio[0], r.stdio[1] = null, null
		return r, nil
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		r.abort()
		return nil, errors.Wrap(err, "exec stdout pipe")
	}
	r.childEnds = append(r.childEnds, outW)
	r.stdio[1] = outW
	r.copyOut(os.Stdout, outR)
	// Stdin passes through even without -i, as the blog uses it:
	// echo 'cat a.txt' | mydocker exec C sh. Not waited for: our stdin
	// may never end.
	inR, inW, err := os.Pipe()
	if err != nil {
		r.abort()
		return nil, errors.Wrap(err, "exec stdin pipe")
	}
	r.childEnds = append(r.childEnds, inR)
	r.stdio[0] = inR
	go func() {
		defer inW.Close()
		if _, err := io.Copy(inW, os.Stdin); err != nil && !errors.Is(err, unix.EPIPE) {
			log.Debugf("copy stdin to exec: %v", err)
		}
	}()
	return r, nil
}

// copyOut copies src to dst until every writer has closed src, noting
// when data last went through.
func (r *execRelay) copyOut(dst io.Writer, src *os.File) {
	r.copies.Add(1)
	go func() {
		defer r.copies.Done()
		defer src.Close()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				r.writing.Add(1)
				_, werr := dst.Write(buf[:n])
				r.lastOutput.Store(time.Now().UnixNano())
				r.writing.Add(-1)
				if werr != nil {
					log.Debugf("copy exec output: %v", werr)
					return
				}
			}
			// A pty master reads EIO once every slave is closed: that is EOF.
			if err != nil {
				if err != io.EOF && !errors.Is(err, unix.EIO) {
					log.Debugf("copy exec output: %v", err)
				}
				return
			}
		}
	}()
}

// started drops our copies of the child's ends, so that EOF comes when
// the command and whatever it started have closed theirs.
func (r *execRelay) started() {
	closeAll(r.childEnds...)
	r.childEnds = nil
}

// abort is started and finish for a child that never started.
func (r *execRelay) abort() {
	r.started()
	r.copies.Wait()
}

// attachPty relays the container's pty: its output to our stdout, with
// -i our stdin to it, our terminal raw and its size followed.
func (r *execRelay) attachPty(master *os.File, interactive bool) {
	r.master = master
	if interactive {
		r.detach = AttachTerminal(os.Stdin, master)
		go func() {
			if _, err := io.Copy(master, os.Stdin); err != nil && !errors.Is(err, os.ErrClosed) && !errors.Is(err, unix.EIO) {
				log.Debugf("copy stdin to exec terminal: %v", err)
			}
		}()
	}
	r.copyOut(os.Stdout, master)
}

// outputGrace is how long the relay goes on after the command has exited
// while its output is silent but still open: a process it left in the
// background may hold it for ever. Docker waits 2 s, too.
const outputGrace = 2 * time.Second

// finish, once the command has exited, waits for the output to drain and
// restores our terminal. Output that goes on flowing is relayed to the
// end; output held open but silent for outputGrace is let go.
func (r *execRelay) finish() error {
	drained := make(chan struct{})
	go func() {
		r.copies.Wait()
		close(drained)
	}()
	r.lastOutput.Store(time.Now().UnixNano())
	tick := time.NewTicker(outputGrace / 10)
	defer tick.Stop()
wait:
	for {
		select {
		case <-drained:
			break wait
		case <-tick.C:
			idle := time.Since(time.Unix(0, r.lastOutput.Load()))
			if r.writing.Load() == 0 && idle >= outputGrace {
				log.Debug("exec: output still open but silent; leaving it")
				break wait
			}
		}
	}
	return r.detach()
}
