package container

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/cgroups"
	"mydocker/container/nsenter"
	"mydocker/utils"
)

// ExecConfig is the process `exec` starts in a running container.
type ExecConfig struct {
	Args        []string `json:"args"`
	Env         []string `json:"env"`
	Cwd         string   `json:"cwd"`
	Tty         bool     `json:"tty"`
	Interactive bool     `json:"interactive"`
	Security    Security `json:"security"`
}

// execConfigEnv names the descriptor holding the ExecConfig.
const execConfigEnv = "_MYDOCKER_EXEC_CONFIG_FD"

// ExecCommand is the hidden command the CLI re-execs itself as.
const ExecCommand = "nsexec"

// joinOrder is the order namespaces are joined in: mount last, because
// until then the process still needs the host's file system.
var joinOrder = []string{"cgroup", "ipc", "uts", "net", "pid", "mnt"}

// Exec replaces the calling process with `mydocker nsexec`, which joins
// every namespace of the running container rec and runs cfg there. It
// returns only on failure.
//
// The namespace descriptors are opened here and the container's pid is
// checked again afterwards: if it is still the process the record names,
// the descriptors are its namespaces, even if the pid is reused later.
func Exec(rec *Record, cfg *ExecConfig) error {
	pid := rec.State.Pid
	var names, fdSpec []string
	var files []*os.File
	defer func() { closeAll(files...) }()
	for _, ns := range joinOrder {
		f, err := os.Open(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
		if err != nil {
			if ns == "cgroup" && os.IsNotExist(err) {
				continue // kernel without cgroup namespaces
			}
			return errors.Errorf("container %s is not running", rec.Name)
		}
		files = append(files, f)
		names = append(names, ns)
		fdSpec = append(fdSpec, strconv.Itoa(int(f.Fd())))
	}
	if !rec.State.Alive() {
		return errors.Errorf("container %s is not running", rec.Name)
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		return errors.Wrap(err, "encode exec config")
	}
	memfd, err := unix.MemfdCreate("mydocker-exec-config", unix.MFD_CLOEXEC)
	if err != nil {
		return errors.Wrap(err, "memfd for exec config")
	}
	cfgFile := os.NewFile(uintptr(memfd), "exec-config")
	files = append(files, cfgFile)
	if _, err := cfgFile.Write(data); err != nil {
		return errors.Wrap(err, "write exec config")
	}
	if _, err := cfgFile.Seek(0, io.SeekStart); err != nil {
		return errors.Wrap(err, "rewind exec config")
	}
	for _, f := range files {
		// These, and only these, survive the exec below.
		if _, err := unix.FcntlInt(f.Fd(), unix.F_SETFD, 0); err != nil {
			return errors.Wrap(err, "pass descriptor to nsexec")
		}
	}
	// Join the container's cgroups first: the command inherits them and
	// is counted against the container's limits. As init does, this
	// thread joins v1 cgroups itself (no kernel-wide lock) and then execs
	// from this same thread, which is all that survives the exec.
	runtime.LockOSThread()
	cg, err := cgroups.New(rec.ID)
	if err != nil {
		return err
	}
	if files := cg.SelfJoinFiles(); files != nil {
		err = cgroups.JoinSelf(files)
	} else {
		err = cg.Apply(os.Getpid())
	}
	if err != nil {
		return errors.Wrapf(err, "join cgroups of %s", rec.Name)
	}
	self, err := os.Executable()
	if err != nil {
		return errors.Wrap(err, "find mydocker binary")
	}
	env := []string{
		nsenter.EnvVar + "=" + joinSpec(names, fdSpec),
		execConfigEnv + "=" + strconv.Itoa(memfd),
	}
	if log.IsLevelEnabled(log.DebugLevel) {
		env = append(env, "_MYDOCKER_DEBUG=1")
	}
	log.Debugf("exec: joining %s of pid %d", strings.Join(names, ", "), pid)
	err = unix.Exec(self, []string{"mydocker-exec", ExecCommand}, env)
	return errors.Wrap(err, "exec nsexec")
}

func joinSpec(names, fds []string) string {
	parts := make([]string, len(names))
	for i := range names {
		parts[i] = names[i] + ":" + fds[i]
	}
	return strings.Join(parts, ",")
}

// ExecMain is `mydocker nsexec`: it runs inside the container's namespaces
// (the nsenter constructor joined them and forked before Go started). It
// becomes the command, or with -t starts it on a new pty and relays it,
// exiting with the command's exit code.
func ExecMain() {
	if os.Getenv("_MYDOCKER_DEBUG") != "" {
		log.SetLevel(log.DebugLevel)
	}
	code, err := runExec()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mydocker: "+err.Error())
	}
	os.Exit(code)
}

func runExec() (int, error) {
	cfg, err := readExecConfig()
	if err != nil {
		return 125, err
	}
	// The command gets fds 0-2 only, not what the caller left open.
	if err := utils.CloseExecFrom(3); err != nil {
		return 125, err
	}
	path, err := lookPath(cfg.Args[0], lookupEnv(cfg.Env, "PATH"))
	if err != nil {
		code := 125
		if ie, ok := err.(*initError); ok {
			code = ie.code
		}
		return code, err
	}
	cwd := cfg.Cwd
	if cwd == "" {
		cwd = "/"
	}
	if err := unix.Chdir(cwd); err != nil {
		return 125, errors.Wrapf(err, "change to workdir %s", cwd)
	}
	if !cfg.Tty {
		// Stdin passes through even without -i, as the blog uses it:
		// echo 'cat a.txt' | mydocker exec C sh. This process is already a
		// member of the container's PID namespace: become the command,
		// confined as the container's own processes are.
		if err := confine(&cfg.Security); err != nil {
			return 125, err
		}
		ee := execError(cfg.Args[0], unix.Exec(path, cfg.Args, cfg.Env)).(*initError)
		return ee.code, ee
	}
	cmd := &exec.Cmd{Path: path, Args: cfg.Args, Env: cfg.Env}
	relay, err := execWithTerminal(cmd, cfg.Interactive, &cfg.Security)
	if err != nil {
		return 125, err
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2)
	go func() {
		for sig := range sigs {
			if err := cmd.Process.Signal(sig); err != nil {
				log.Debugf("forward %v: %v", sig, err)
			}
		}
	}()
	werr := cmd.Wait()
	if err := relay(); err != nil {
		log.Warn(err)
	}
	if cmd.ProcessState == nil {
		return 125, errors.Wrap(werr, "wait for command")
	}
	return ExitCode(cmd.ProcessState.Sys().(syscall.WaitStatus)), nil
}

func readExecConfig() (*ExecConfig, error) {
	fd, err := strconv.Atoi(os.Getenv(execConfigEnv))
	if err != nil {
		return nil, errors.New("nsexec: no config (it is started by mydocker exec)")
	}
	f := os.NewFile(uintptr(fd), "exec-config")
	defer f.Close()
	var cfg ExecConfig
	if err := json.NewDecoder(f).Decode(&cfg); err != nil {
		return nil, errors.Wrap(err, "read exec config")
	}
	if len(cfg.Args) == 0 {
		return nil, errors.New("exec: no command given")
	}
	return &cfg, nil
}

// execWithTerminal starts cmd on a new pty from the container's devpts and
// relays it to our stdio. The returned function waits for the output to
// drain and restores our terminal.
func execWithTerminal(cmd *exec.Cmd, interactive bool, sec *Security) (func() error, error) {
	master, slave, err := openPty()
	if err != nil {
		return nil, err
	}
	defer slave.Close()
	if utils.IsTerminal(os.Stdin) {
		if rows, cols, err := utils.WindowSize(os.Stdin); err == nil {
			ws := &unix.Winsize{Row: rows, Col: cols}
			if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, ws); err != nil {
				log.Debugf("set exec terminal size: %v", err)
			}
		}
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	// This thread (main, locked) forks the command: confine it first so
	// the command starts confined. The relay needs nothing taken away.
	if err := confine(sec); err != nil {
		master.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		master.Close()
		return nil, errors.Wrapf(err, "exec %q", cmd.Args[0])
	}
	var term *utils.Terminal
	stopResize := func() {}
	if interactive && utils.IsTerminal(os.Stdin) {
		if term, err = utils.MakeRaw(os.Stdin); err != nil {
			log.Warn(err)
		}
		stopResize = utils.SyncWindowSize(os.Stdin, master)
	}
	if interactive {
		go func() {
			if _, err := io.Copy(master, os.Stdin); err != nil {
				log.Debugf("copy stdin to exec terminal: %v", err)
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// EIO once the command and its children have closed the slave.
		if _, err := io.Copy(os.Stdout, master); err != nil && !errors.Is(err, unix.EIO) {
			log.Debugf("copy exec terminal output: %v", err)
		}
	}()
	return func() error {
		<-done
		stopResize()
		master.Close()
		return term.Restore()
	}, nil
}
