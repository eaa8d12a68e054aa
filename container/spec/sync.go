package spec

import (
	"encoding/binary"
	"encoding/json"
	stderrors "errors"
	"io"
	"os"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// The protocol between the host and the processes it starts inside a
// container, as runc keeps it in one sync.go. Nothing about it lives
// anywhere else.
//
// `run` and `start`: the host (Process in package container) starts
// `mydocker init` in new namespaces with two descriptors, and a third
// with --debug:
//
//	host                                          init (inside)
//	 | fd 4, seqpacket: {"type":"rootfs"} -------> with RootfsMount: the
//	 |                  + SCM_RIGHTS                overlay, detached, to
//	 |                                              attach (started early)
//	 | fd 3, pipe:   [len][InitConfig JSON] ------> readInitConfig
//	 |                                              cgroup ns, mounts,
//	 |  network (meanwhile)                         pivot_root, hostname, lo
//	 | <----- fd 4, seqpacket: {"type":"trace"}     with --trace: each step,
//	 |                                              timed, as it is done
//	 | <----- fd 4, seqpacket: {"type":"ready"}     set up, waiting
//	 |  pids.max (counts init's threads from here)
//	 | fd 3:         GoAhead byte, then EOF ------> WaitGoAhead
//	 |                                              setsid
//	 | <----- fd 4, seqpacket: {"type":"pty"}       with -t: the pty master
//	 |                         + SCM_RIGHTS         as ancillary data
//	 | <----- fd 4:            {"type":"exec"}      about to exec
//	 | <----- fd 4:            EOF                  execve closed fd 4
//	 |
//	 | on failure instead, at any point:
//	 | <----- fd 4:            {"type":"error","code":N,"message":...}
//	 |                                              exit N
//
// EOF on fd 4 after MsgExec means the user's command runs; EOF without it
// means init died. EOF on fd 3 instead of the go-ahead means the host
// gave up: init exits without a word, the host knows why.
//
// `exec`: the host starts `mydocker-init nsexec`, C (container/nsenter),
// which joins the namespaces, forks, and in the child follows an
// ExecPlan to the command. Its descriptors are named in the environment:
// ExecPlanEnv, a memfd holding the encoded
// ExecPlan; with -t, ExecSyncEnv, a seqpacket socket on which nsexec
// sends MsgPty with the pty master and then EOF; ExecCgroupsEnv, the
// cgroups nsexec joins last. nsexec reports failures on its stderr and in
// its exit code.

// The hidden commands the host starts mydocker-inside (init) and
// mydocker-init (nsexec) as.
const (
	InitCommand = "init"   // the container's first process
	ExecCommand = "nsexec" // a process exec'd into a running container
)

// init finds its descriptors at fixed numbers (the ExtraFiles of its
// exec.Cmd, which start at 3).
const (
	ConfigFd = 3 // read: one framed InitConfig, the GoAhead byte, then EOF
	SyncFd   = 4 // seqpacket socket: init's messages to the host
	LogFd    = 5 // with LogArg: where init's own logrus output goes
)

// LogArg tells init that LogFd is its log. It cannot probe the fd: the
// Go runtime may itself have opened fd 5 (netpoll) by then.
const LogArg = "--log-fd-5"

// The environment of `mydocker-init nsexec` names its inherited descriptors.
const (
	ExecPlanEnv = "_MYDOCKER_EXEC_PLAN_FD" // the ExecPlan, encoded
	ExecSyncEnv = "_MYDOCKER_EXEC_SYNC_FD" // with a tty: where the pty master goes
	// ExecCgroupsEnv lists descriptors of the container's cgroup files
	// (v1 tasks, v2 cgroup.procs), "7,8": nsexec writes "0" to them just
	// before it execs the command, so that nothing of ours counts against
	// the container's limits for longer than it must.
	ExecCgroupsEnv = "_MYDOCKER_EXEC_CGROUP_FDS"
	// ExecNamespacesEnv lists the namespaces to join in order, as name:fd
	// pairs of inherited descriptors: "ipc:5,uts:6,net:7,pid:8,mnt:9".
	// container/nsenter's C code reads these (under the same names, which
	// its test keeps equal); the host side names them from here, so that
	// it does not link the C code.
	ExecNamespacesEnv = "_MYDOCKER_NSENTER"
)

// Messages on the sync socket: all from the inside to the host but
// MsgRootfs.
const (
	MsgReady = "ready" // init is set up and waits for the go-ahead
	MsgPty   = "pty"   // carries the pty master as SCM_RIGHTS
	// MsgRootfs, from the host, carries the container's overlay mount,
	// detached (open_tree), to an init started before it was mounted
	// (InitConfig.RootfsMount). It is sent before the config.
	MsgRootfs = "rootfs"
	MsgExec   = "exec"  // init is about to exec the user's command
	MsgError  = "error" // setup or exec failed; Code is the exit code to report
	// MsgTrace is one of init's kernel steps, timed, sent with --trace
	// (InitConfig.Trace) as soon as it is done: the host prints it.
	MsgTrace = "trace"
)

// Msg is one message on the sync socket, one seqpacket each.
type Msg struct {
	Type    string `json:"type"`
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	Step    *Step  `json:"step,omitempty"` // MsgTrace only
}

// Step is one of init's kernel steps as MsgTrace reports it: the topic
// names the chapter that explains it (package trace's table, which the
// inside never imports), cmd the syscall or the equivalent shell command.
type Step struct {
	Topic string `json:"topic"`
	Cmd   string `json:"cmd"`
	Nanos int64  `json:"ns"`
	Err   string `json:"err,omitempty"`
}

// GoAhead is the byte on fd 3 that tells init to go on after its setup.
const GoAhead = 'g'

// maxMsg bounds one sync message; an error message is the longest.
const maxMsg = 64 << 10

// WriteFrame writes v as JSON framed by its length (host side): the pipe
// carries the GoAhead byte after it, so the reader cannot read to EOF.
func WriteFrame(w io.Writer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return errors.Wrap(err, "encode init config")
	}
	frame := make([]byte, 4+len(data))
	binary.BigEndian.PutUint32(frame, uint32(len(data)))
	copy(frame[4:], data)
	_, err = w.Write(frame)
	return err
}

// ReadFrame reads one length-framed JSON message into v (inside).
func ReadFrame(r io.Reader, v any) error {
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return errors.Wrap(err, "read init config")
	}
	data := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(r, data); err != nil {
		return errors.Wrap(err, "read init config")
	}
	return errors.Wrap(json.Unmarshal(data, v), "decode init config")
}

// SendGoAhead writes the go-ahead and closes the pipe (host side): init
// then reads the byte, and EOF for anything more.
func SendGoAhead(w io.WriteCloser) error {
	_, werr := w.Write([]byte{GoAhead})
	if cerr := w.Close(); werr == nil {
		werr = cerr
	}
	return werr
}

// WaitGoAhead blocks until the host has finished its part of the setup
// (inside). False means the host gave up (EOF) or sent something else.
func WaitGoAhead(r io.Reader) bool {
	b := make([]byte, 1)
	_, err := io.ReadFull(r, b)
	return err == nil && b[0] == GoAhead
}

// Send writes one message, with an optional descriptor: to the host
// (inside), or MsgRootfs to init (host side).
func Send(sock *os.File, msg Msg, fd *os.File) error {
	data, err := json.Marshal(msg)
	if err != nil {
		return errors.Wrap(err, "encode sync message")
	}
	var oob []byte
	if fd != nil {
		oob = unix.UnixRights(int(fd.Fd()))
	}
	if err := unix.Sendmsg(int(sock.Fd()), data, oob, nil, 0); err != nil {
		return errors.Wrapf(err, "send %s to parent", msg.Type)
	}
	return nil
}

// ErrBadMessage is a message that is not a Msg, or a MsgPty without its
// descriptor.
var ErrBadMessage = stderrors.New("bad sync message")

// Recv reads one message, with the descriptor MsgPty or MsgRootfs
// carries: the inside's (host side), or MsgRootfs (inside).
// It returns io.EOF once every inside end is closed; flags may add
// MSG_DONTWAIT, which then reports EAGAIN as io.EOF too.
func Recv(sock *os.File, flags int) (Msg, *os.File, error) {
	size, err := peekSize(sock, flags)
	if err != nil {
		return Msg{}, nil, err
	}
	buf := make([]byte, size)
	oob := make([]byte, unix.CmsgSpace(4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), buf, oob, flags|unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN && flags&unix.MSG_DONTWAIT != 0 {
			return Msg{}, nil, io.EOF
		}
		if err != nil {
			return Msg{}, nil, err
		}
		if n == 0 && oobn == 0 {
			return Msg{}, nil, io.EOF
		}
		var f *os.File
		if oobn > 0 {
			f = fileFromRights(oob[:oobn])
		}
		var msg Msg
		if err := json.Unmarshal(buf[:n], &msg); err != nil {
			closeFile(f)
			return Msg{}, nil, errors.Wrapf(ErrBadMessage, "%q: %v", buf[:n], err)
		}
		if msg.Type != MsgPty && msg.Type != MsgRootfs {
			closeFile(f)
			f = nil
		} else if f == nil {
			return Msg{}, nil, errors.Wrapf(ErrBadMessage, "a %s message without a descriptor", msg.Type)
		}
		return msg, f, nil
	}
}

// peekSize is the length of the next message, at most maxMsg, without
// taking it (or the descriptor it may carry): a buffer of maxMsg for every
// message would be 64 KiB of garbage each, and the monitor, whose heap is
// seldom collected, would keep the pages of all of them. At EOF it is 0
// (the Recvmsg that follows reads EOF too). With MSG_DONTWAIT and nothing
// there it is io.EOF, at once: a message arriving before a Recvmsg with
// no room would be taken, cut to nothing and lost.
func peekSize(sock *os.File, flags int) (int, error) {
	for {
		// MSG_TRUNC: the real length of a seqpacket message, not the
		// bytes copied (none).
		n, _, _, _, err := unix.Recvmsg(int(sock.Fd()), nil, nil, flags|unix.MSG_PEEK|unix.MSG_TRUNC)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN && flags&unix.MSG_DONTWAIT != 0:
			return 0, io.EOF
		case err != nil:
			return 0, err
		}
		return min(n, maxMsg), nil
	}
}

// fileFromRights returns the one descriptor of an SCM_RIGHTS message, or
// nil if oob holds anything else.
func fileFromRights(oob []byte) *os.File {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil || len(msgs) != 1 {
		return nil
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil {
		return nil
	}
	if len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil
	}
	return os.NewFile(uintptr(fds[0]), "sync-rights")
}

func closeFile(f *os.File) {
	if f != nil {
		f.Close()
	}
}
