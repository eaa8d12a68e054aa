package container

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// The init process finds its pipes at fixed descriptors (the ExtraFiles of
// its exec.Cmd, which start at 3).
const (
	initConfigFd = 3 // read: one InitConfig as JSON, then EOF
	initSyncFd   = 4 // seqpacket socket: init's messages to the parent
	initLogFd    = 5 // with initLogArg: where init's own logrus output goes
)

// initLogArg tells init that fd 5 is its log. It cannot probe the fd: the
// Go runtime may itself have opened fd 5 (netpoll) by then.
const initLogArg = "--log-fd-5"

// Messages init sends the parent over the sync socket. EOF after msgExec
// means the user's command was exec'd; EOF without it means init died.
const (
	msgPty   = "pty"   // carries the pty master as SCM_RIGHTS
	msgExec  = "exec"  // init is about to exec the user's command
	msgError = "error" // setup or exec failed; Code is the exit code to report
)

type syncMsg struct {
	Type    string `json:"type"`
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// StartError is a failure to start the container's command, with the exit
// code the contract gives it (125, 126 or 127).
type StartError struct {
	Code    int
	Message string
}

func (e *StartError) Error() string { return e.Message }

// DefaultNamespaces are the namespaces every container gets new. The
// cgroup namespace is made by init itself, once it is in its cgroups, so
// that the namespace's root is the container's own cgroup.
var DefaultNamespaces = []Namespace{{Type: "uts"}, {Type: "pid"}, {Type: "mnt"}, {Type: "ipc"}, {Type: "net"}}

var namespaceFlags = map[string]uintptr{
	"uts": unix.CLONE_NEWUTS, "pid": unix.CLONE_NEWPID, "mnt": unix.CLONE_NEWNS,
	"ipc": unix.CLONE_NEWIPC, "net": unix.CLONE_NEWNET, "cgroup": unix.CLONE_NEWCGROUP,
}

// cloneFlags turns namespaces into clone(2) flags. Joining an existing
// namespace (Path set: pods, --network container:ID) is not built yet and
// is refused rather than silently made new.
func cloneFlags(namespaces []Namespace) (uintptr, error) {
	var flags uintptr
	for _, ns := range namespaces {
		f, ok := namespaceFlags[ns.Type]
		if !ok {
			return 0, errors.Errorf("unknown namespace type %q", ns.Type)
		}
		if ns.Path != "" {
			return 0, errors.Errorf("joining the %s namespace at %s is not supported yet", ns.Type, ns.Path)
		}
		flags |= f
	}
	return flags, nil
}

// Process is the parent's handle on a container's init process.
type Process struct {
	cmd        *exec.Cmd
	configPipe *os.File // parent's write end of fd 3
	syncSock   *os.File // parent's end of fd 4
	Pid        int
	// PtyMaster is the container's terminal when it was started with a tty.
	PtyMaster *os.File
	// InCgroup says init was created inside its cgroup (CLONE_INTO_CGROUP).
	InCgroup bool
}

// Stdio is what the container's first process gets as fds 0-2. With a tty,
// init replaces them with the pty slave and these are ignored (nil).
type Stdio struct {
	Stdin, Stdout, Stderr *os.File
}

// NewProcess starts `mydocker init` in the given new namespaces. It stops
// before the user's command: init waits for its config (SendConfig) and
// then for the go-ahead (Continue), so the caller can first place the pid
// in cgroups and networks.
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
	flags, err := cloneFlags(namespaces)
	if err != nil {
		return nil, err
	}
	// init is the container's pid 1 until it execs the user's command, and
	// can become mydocker again through a "#!/proc/self/exe" script: it
	// runs from a sealed copy, so its /proc/1/exe never reaches our binary.
	self, err := OpenSealedSelf()
	if err != nil {
		return nil, err
	}
	defer self.Close()
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

	cmd := exec.Command(self.Path(), "init")
	cmd.Args[0] = "mydocker-init"
	cmd.Env = []string{} // init reads everything from its config, nothing from the environment
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio.Stdin, stdio.Stdout, stdio.Stderr
	cmd.ExtraFiles = []*os.File{cfgR, childSock}
	if logTo != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, logTo)
		cmd.Args = append(cmd.Args, initLogArg)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: flags,
		// The container never outlives the process that watches it: if the
		// monitor is killed, the kernel kills the container too, and rm -f
		// can clean up what is left.
		Pdeathsig: unix.SIGKILL,
	}
	if cgroupDir != nil {
		cmd.SysProcAttr.UseCgroupFD = true
		cmd.SysProcAttr.CgroupFD = int(cgroupDir.Fd())
	}
	if err := cmd.Start(); err != nil {
		cfgW.Close()
		parentSock.Close()
		return nil, errors.Wrap(err, "start init in new namespaces")
	}
	return &Process{cmd: cmd, configPipe: cfgW, syncSock: parentSock, Pid: cmd.Process.Pid}, nil
}

// SendConfig gives init its config as soon as it is started, so that init
// builds the container's file system view while the parent puts it in its
// cgroups and networks. init stops before anything that must happen inside
// the cgroups (the cgroup namespace, the user's command) until Continue.
// The config is framed by its length, because the same pipe later carries
// the go-ahead.
func (p *Process) SendConfig(cfg *InitConfig) error {
	data, err := json.Marshal(cfg)
	if err != nil {
		return p.Abort(errors.Wrap(err, "encode init config"))
	}
	frame := make([]byte, 4+len(data))
	binary.BigEndian.PutUint32(frame, uint32(len(data)))
	copy(frame[4:], data)
	if _, err := p.configPipe.Write(frame); err != nil {
		return p.Abort(&StartError{Code: 125, Message: fmt.Sprintf("send config to init: %v", err)})
	}
	return nil
}

// Continue lets init finish and exec the user's command, and waits until
// it has. On failure init has exited (or is killed) and the error is a
// *StartError carrying the exit code for the user.
func (p *Process) Continue() error {
	_, werr := p.configPipe.Write([]byte{goAhead})
	cerr := p.configPipe.Close()
	if werr != nil || cerr != nil {
		// init died before reading; its own message, if any, explains why.
		return p.Abort(&StartError{Code: 125, Message: fmt.Sprintf("start init: %v", firstErr(werr, cerr))})
	}
	return p.readSync()
}

// goAhead is the byte that tells init to go on after its setup.
const goAhead = 'g'

// Abort stops an init that has not exec'd the user's command, because
// the parent's own setup failed. If init had failed first, its error is
// the one that explains what happened, so it wins over cause.
func (p *Process) Abort(cause error) error {
	p.configPipe.Close()
	p.kill()
	defer p.syncSock.Close()
	buf := make([]byte, 64<<10)
	for {
		n, _, _, _, err := unix.Recvmsg(int(p.syncSock.Fd()), buf, nil, unix.MSG_DONTWAIT)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return cause
		}
		var msg syncMsg
		if json.Unmarshal(buf[:n], &msg) == nil && msg.Type == msgError {
			return &StartError{Code: msg.Code, Message: msg.Message}
		}
	}
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// readSync reads init's messages until EOF.
func (p *Process) readSync() error {
	defer p.syncSock.Close()
	execSeen := false
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(int(p.syncSock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			p.kill()
			return &StartError{Code: 125, Message: fmt.Sprintf("read from init: %v", err)}
		}
		if n == 0 && oobn == 0 {
			if execSeen {
				return nil
			}
			detail := p.exitDetail()
			p.kill()
			return &StartError{Code: 125, Message: "container init exited before starting the command" + detail}
		}
		var msg syncMsg
		if err := json.Unmarshal(buf[:n], &msg); err != nil {
			p.kill()
			return &StartError{Code: 125, Message: fmt.Sprintf("bad message from init: %v", err)}
		}
		switch msg.Type {
		case msgPty:
			f, err := fileFromRights(oob[:oobn])
			if err != nil {
				p.kill()
				return &StartError{Code: 125, Message: err.Error()}
			}
			p.PtyMaster = f
		case msgExec:
			execSeen = true
		case msgError:
			p.kill()
			return &StartError{Code: msg.Code, Message: msg.Message}
		}
	}
}

// exitDetail describes how init ended, after it has been reaped.
func (p *Process) exitDetail() string {
	if err := p.cmd.Wait(); err != nil {
		return " (" + err.Error() + ")"
	}
	return ""
}

func fileFromRights(oob []byte) (*os.File, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil || len(msgs) != 1 {
		return nil, errors.New("init sent a pty message without a descriptor")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, errors.New("init sent a pty message without a descriptor")
	}
	return os.NewFile(uintptr(fds[0]), "pty-master"), nil
}

// kill stops an init that failed and reaps it.
func (p *Process) kill() {
	if p.cmd.ProcessState == nil {
		if err := p.cmd.Process.Kill(); err == nil {
			p.cmd.Wait() //nolint:errcheck // its status is not the failure being reported
		}
	}
	if p.PtyMaster != nil {
		p.PtyMaster.Close()
		p.PtyMaster = nil
	}
}

// Signal sends sig to the container's first process.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Wait waits for the container's first process and returns its exit code,
// 128+N when killed by signal N, as a shell reports it.
func (p *Process) Wait() (int, error) {
	err := p.cmd.Wait()
	st := p.cmd.ProcessState
	if st == nil {
		return -1, errors.Wrap(err, "wait for container")
	}
	return ExitCode(st.Sys().(syscall.WaitStatus)), nil
}

// ExitCode turns a wait status into the code a shell would report.
func ExitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
