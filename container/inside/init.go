package inside

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/cgroups"
	"mydocker/constant"
	"mydocker/container/confine"
	"mydocker/container/spec"
)

// fail is a setup failure with the exit code to report.
func fail(code int, err error) error { return &spec.ExitError{Code: code, Err: err} }

// InitMain is the body of the hidden `mydocker init` command: the first
// process inside the container's new namespaces. It must run on the
// thread main() started on (the caller locks it), because unshare and the
// final exec act on the calling thread.
//
// It never returns on success: the user's command replaces it.
func InitMain() {
	// Until it execs the user's command, init holds our pipes (and with
	// --debug the caller's stderr) and runs our code: a process the
	// container joins with exec must not be able to read its memory or
	// descriptors through /proc, nor ptrace it. execve resets this.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "mydocker init: set non-dumpable:", err)
		os.Exit(constant.ExitMydocker)
	}
	// Started in another container's pid namespace, init cannot be given
	// its parent-death signal by the host (see container.NewProcess): it
	// sets it itself. Had the parent died before this, the config pipe
	// reads EOF and init exits all the same.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "mydocker init: set parent-death signal:", err)
		os.Exit(constant.ExitMydocker)
	}
	// init's threads count against the container's pids.max until it
	// execs, and once the limit is written a thread the runtime fails to
	// start is fatal: one P keeps the runtime from wanting more threads
	// (runc's init does the same). init runs one goroutine anyway.
	runtime.GOMAXPROCS(1)
	sync := os.NewFile(spec.SyncFd, "sync")
	if len(os.Args) > 2 && os.Args[2] == spec.LogArg {
		log.SetOutput(os.NewFile(spec.LogFd, "log"))
		log.SetFormatter(&log.TextFormatter{FullTimestamp: true, TimestampFormat: "15:04:05.000000"})
		log.SetLevel(log.DebugLevel)
	} else {
		log.SetOutput(io.Discard)
	}
	err := runInit(sync)
	// Only reached on failure: tell the parent why, then exit with the code.
	code, msg := spec.ExitCode(err), err.Error()
	data, jerr := json.Marshal(spec.Msg{Type: spec.MsgError, Code: code, Message: msg})
	if jerr == nil {
		_, jerr = sync.Write(data)
	}
	if jerr != nil {
		fmt.Fprintln(os.Stderr, "mydocker init:", msg)
	}
	os.Exit(code)
}

// runInit sets the container up in the order the namespaces require:
// config; mounts, pivot_root, hostname and lo (while the parent sets up
// cgroups and networks); then, after the parent's go-ahead, the cgroup
// namespace, the terminal, the working directory, confinement and exec.
func runInit(sync *os.File) error {
	cfgPipe := os.NewFile(spec.ConfigFd, "config")
	defer cfgPipe.Close()
	start := time.Now()
	cfg, err := readInitConfig(cfgPipe)
	if err != nil {
		return err
	}
	if cfg.Trace {
		steps.sync = sync
	}
	steps.done(topicPipe, fmt.Sprintf("read(%d): the config from the pipe, pid %d in new uts, pid, mount, ipc and net namespaces", spec.ConfigFd, os.Getpid()), start, nil)
	var rootfs *os.File // with RootfsMount: the overlay, to attach
	if cfg.RootfsMount {
		if rootfs, err = receiveRootfs(sync); err != nil {
			return err
		}
	}
	// First, while the host's cgroup file systems are still in view: this
	// thread, the one that will exec the user's command, joins its cgroups
	// (v1). On v2 init was created in its cgroup, or the host moved it
	// there before sending the config.
	if len(cfg.CgroupFiles) > 0 {
		start = time.Now()
		err := cgroups.JoinSelf(cfg.CgroupFiles)
		steps.done(topicCgroups, "echo 0 > "+strings.Join(cfg.CgroupFiles, " "), start, err)
		if err != nil {
			return errors.Wrap(err, "join cgroups")
		}
	}
	// Now in its cgroups, init makes the cgroup namespace, rooted there,
	// in which the rootfs gets its cgroup file systems.
	cgroupNS, err := unshareCgroupNS()
	if err != nil {
		return err
	}

	// --init: the reaper is copied while the host's files are in view.
	var reaper *os.File
	if cfg.InitBinary != "" {
		if reaper, err = sealedCopy(cfg.InitBinary); err != nil {
			return err
		}
	}
	// Meanwhile the parent puts this process in its networks.
	err = setupRootfs(cfg, rootfs, cgroupNS)
	closeFile(rootfs) // attached, or of no use
	if err != nil {
		return err
	}
	// A uts namespace shared with another container (or the host) keeps
	// its name: setting ours would rename theirs.
	if cfg.Hostname != "" {
		start = time.Now()
		err = unix.Sethostname([]byte(cfg.Hostname))
		steps.done(topicNamespaces, "hostname "+cfg.Hostname, start, err)
		if err != nil {
			return errors.Wrapf(err, "set hostname %q", cfg.Hostname)
		}
	}
	if err := loopbackUp(); err != nil {
		return err
	}
	// Set up: the host now writes the limits that count init's own threads
	// (pids.max), then lets it go on. EOF instead of the go-ahead means
	// the host gave up: exit without a word, it knows why.
	if err := spec.Send(sync, spec.Msg{Type: spec.MsgReady}, nil); err != nil {
		return err
	}
	start = time.Now()
	if !spec.WaitGoAhead(cfgPipe) {
		os.Exit(constant.ExitMydocker)
	}
	steps.done(topicPipe, fmt.Sprintf("read(%d): the go-ahead (the host has set up the network and the limits)", spec.ConfigFd), start, nil)

	if _, err := unix.Setsid(); err != nil {
		return errors.Wrap(err, "setsid")
	}
	if cfg.Tty {
		if err := setupConsole(sync, cfg.ConsoleSize); err != nil {
			return err
		}
	}
	if err := enterWorkdir(cfg.Cwd); err != nil {
		return err
	}
	log.Debugf("init: capabilities %v, seccomp %v; exec %q as user %q", cfg.Security.Capabilities, cfg.Security.Seccomp, cfg.Args, cfg.User)
	var filter *confine.Filter
	if len(cfg.SeccompFilter) > 0 {
		prog, ok := spec.ParseFilterBytes(cfg.SeccompFilter)
		if !ok {
			return errors.New("the host's seccomp filter is not whole instructions")
		}
		filter = &confine.Filter{Prog: prog, Caps: cfg.SeccompCaps}
	}
	return execCommand(cfg.Args, cfg.Env, cfg.User, cfg.Proc, reaper, &cfg.Security, filter, func() error {
		// The last step init can report: execve closes the socket.
		steps.done(topicPipe, fmt.Sprintf("execve(%q) with env %s", cfg.Args, envNames(cfg.Env)), time.Now(), nil)
		return spec.Send(sync, spec.Msg{Type: spec.MsgExec}, nil)
	})
}

// receiveRootfs takes the detached overlay mount the host sent on the
// sync socket before the config (spec.MsgRootfs).
func receiveRootfs(sync *os.File) (*os.File, error) {
	msg, f, err := spec.Recv(sync, unix.MSG_DONTWAIT)
	if err == nil && msg.Type != spec.MsgRootfs {
		err = errors.Wrapf(spec.ErrBadMessage, "%s, not the rootfs", msg.Type)
		closeFile(f)
	}
	if err != nil {
		return nil, errors.Wrap(err, "receive the rootfs mount")
	}
	return f, nil
}

func closeFile(f *os.File) {
	if f != nil {
		f.Close()
	}
}

// readInitConfig reads the config the host writes first on spec.ConfigFd.
func readInitConfig(f io.Reader) (*spec.InitConfig, error) {
	var cfg spec.InitConfig
	if err := spec.ReadFrame(f, &cfg); err != nil {
		return nil, err
	}
	if err := spec.CheckBuild(cfg.Build); err != nil {
		return nil, err
	}
	if len(cfg.Args) == 0 {
		return nil, errors.New("no command given")
	}
	return &cfg, nil
}

// loopbackUp brings lo up in the new network namespace (it starts down).
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return errors.Wrap(err, "socket for lo")
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return errors.Wrap(err, "lo")
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return errors.Wrap(err, "get lo flags")
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	start := time.Now()
	err = unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
	steps.done(topicNamespaces, "ip link set lo up", start, err)
	return errors.Wrap(err, "bring lo up")
}

// envNames lists the names of the variables the command gets (their
// values may be secrets): the -e of chapter 15 among them.
func envNames(env []string) string {
	names := make([]string, len(env))
	for i, kv := range env {
		names[i], _, _ = strings.Cut(kv, "=")
	}
	return strings.Join(names, ",")
}

// enterWorkdir creates the working directory if the image lacks it, as
// Docker does, and changes into it. It runs after pivot_root and resolves
// the path inside the root like every other path in the image, so a
// symlinked workdir cannot lead anywhere else.
func enterWorkdir(dir string) error {
	if dir == "" {
		dir = "/"
	}
	if dir == "/" {
		return errors.Wrap(unix.Chdir("/"), "change to workdir /")
	}
	root, err := openRoot("/")
	if err != nil {
		return err
	}
	defer root.Close()
	d, err := root.mkdirAll(dir)
	if err != nil {
		return errors.Wrapf(err, "create workdir %s", dir)
	}
	defer d.Close()
	if err := unix.Fchdir(int(d.Fd())); err != nil {
		return errors.Wrapf(err, "change to workdir %s", dir)
	}
	return nil
}
