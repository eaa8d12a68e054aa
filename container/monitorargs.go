package container

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"

	"mydocker/constant"
	"mydocker/container/spec"
	"mydocker/trace"
)

// MonitorName is the program a detached container's monitor runs as:
// mydocker built from ./cmd/mydocker-monitor with only the host-side
// container packages (no image, registry, Kubernetes or CLI code), and
// installed beside mydocker. A monitor stays resident as long as its
// container runs, and keeps what it linked and initialised: the lean
// program idles in about half the memory of the whole CLI. Without it,
// mydocker runs itself in its place (RunMonitor from its main), which
// works the same, only bigger. Either way the process is named
// MonitorName (its argv[0]), so ps shows what it is.
const MonitorName = "mydocker-monitor"

// MonitorPath is the program StartMonitor runs: the lean monitor beside
// our binary, else our binary itself.
func MonitorPath() (string, error) {
	if p, ok := BesideSelf(MonitorName); ok {
		return p, nil
	}
	self, err := os.Executable()
	return self, errors.Wrap(err, "find mydocker binary")
}

// IsMonitor says whether this process was started as a monitor: argv[0]
// is MonitorName whichever program StartMonitor found.
func IsMonitor(args []string) bool {
	return len(args) > 0 && args[0] == MonitorName
}

// RunMonitor is the main of a monitor, in mydocker-monitor and in
// mydocker: it reads the arguments StartMonitor gave it, sets up logging
// as the CLI would have with them, and runs Store.Monitor. It returns the
// exit code.
func RunMonitor(args []string) int {
	// The monitor forks init and may exec itself afresh (respawn.go): both
	// from the main thread, which init's parent-death signal then follows.
	// Locked in the program's init too, so main never left that thread.
	runtime.LockOSThread()
	log.SetOutput(os.Stderr)
	log.SetFormatter(&log.TextFormatter{DisableTimestamp: true})
	log.SetLevel(log.WarnLevel)
	a, err := ParseMonitorArgs(args)
	if err == nil && a.Build != spec.BuildID {
		err = errors.Errorf("%s is from another build than mydocker (build %q, mydocker's %q): install both from one build (make build, make install)", MonitorName, spec.BuildID, a.Build)
	}
	if err != nil {
		// Before anything started: run -d says why, not just that the
		// monitor exited.
		reportReady(readyMsg{Code: constant.ExitMydocker, Message: err.Error()})
		fmt.Fprintln(os.Stderr, MonitorName+": "+err.Error())
		return constant.ExitMydocker
	}
	if AssembleSeccomp == nil {
		// mydocker-monitor has no assembler: on a miss of the cache, the
		// whole CLI beside the mydocker that started it assembles.
		AssembleSeccomp = AssemblerAt(filepath.Join(filepath.Dir(a.CLI), AssemblerProgram))
	}
	if err := runMonitor(a); err != nil {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, MonitorName+": "+msg)
		}
		return spec.ExitCode(err)
	}
	return 0
}

func runMonitor(a MonitorArgs) error {
	if a.Debug {
		// With times, so a reader sees what each step costs.
		log.SetFormatter(&log.TextFormatter{FullTimestamp: true, TimestampFormat: "15:04:05.000000"})
		log.SetLevel(log.DebugLevel)
	} else if level, err := log.ParseLevel(a.LogLevel); err == nil {
		log.SetLevel(level)
	}
	if a.Trace {
		trace.Enable(os.Stderr)
	}
	s := NewStore(a.Root)
	s.CLI = a.CLI
	return s.Monitor(a)
}

// MonitorArgs is what a detached container's monitor is told on its
// command line, the one protocol between StartMonitor and the monitor
// (mydocker-monitor, or mydocker's hidden monitor command without it):
//
//	--build B --cli PATH --root DIR --log-level L [--debug] [--trace] monitor [--resume-after D --resume-from PID:START | --adopt SPEC] ID
type MonitorArgs struct {
	Build    string // spec.BuildID of the mydocker that starts the monitor
	CLI      string // that mydocker's path: health checks run its exec
	Root     string
	LogLevel string
	Debug    bool
	Trace    bool
	Resume   *Resume // nil: start the container; else take over a restart loop
	// Adopt: the container runs already, started by this very process
	// before it exec'd itself afresh (Running.respawn); watch it.
	Adopt *Adopt
	ID    string
}

// Adopt is what a monitor hands over to the fresh image of itself that it
// execs once its container runs: the container's init, still its child
// (exec keeps the pid), and the descriptors it inherits, by number.
type Adopt struct {
	Pid     int           // the container's init
	Out     int           // stdout's read end; with a tty, the pty master
	Err     int           // stderr's read end; -1 with a tty
	Inside  int           // the read-only view of mydocker-inside restarts start from; -1: none yet
	Ports   []int         // the sockets holding the published host ports
	Backoff time.Duration // the restart back-off so far (Backoff.last)
}

// String is a's value for --adopt: pid=P,out=N,err=N,inside=N,ports=N+N,backoff=D.
func (a *Adopt) String() string {
	ports := make([]string, len(a.Ports))
	for i, fd := range a.Ports {
		ports[i] = strconv.Itoa(fd)
	}
	return fmt.Sprintf("pid=%d,out=%d,err=%d,inside=%d,ports=%s,backoff=%s", a.Pid, a.Out, a.Err, a.Inside, strings.Join(ports, "+"), a.Backoff)
}

// parseAdopt reads what String wrote, every field once, in its order.
func parseAdopt(s string) (*Adopt, error) {
	bad := func() (*Adopt, error) { return nil, errors.Errorf("invalid --adopt %q", s) }
	fields := strings.Split(s, ",")
	names := []string{"pid", "out", "err", "inside", "ports", "backoff"}
	if len(fields) != len(names) {
		return bad()
	}
	values := make([]string, len(names))
	for i, f := range fields {
		name, v, ok := strings.Cut(f, "=")
		if !ok || name != names[i] {
			return bad()
		}
		values[i] = v
	}
	fd := func(v string, min int) (int, bool) {
		n, err := strconv.Atoi(v)
		return n, err == nil && n >= min && strconv.Itoa(n) == v
	}
	a := &Adopt{}
	var ok [4]bool
	a.Pid, ok[0] = fd(values[0], 1)
	a.Out, ok[1] = fd(values[1], 0)
	a.Err, ok[2] = fd(values[2], -1)
	a.Inside, ok[3] = fd(values[3], -1)
	if ok != [4]bool{true, true, true, true} {
		return bad()
	}
	if values[4] != "" {
		for _, v := range strings.Split(values[4], "+") {
			n, ok := fd(v, 0)
			if !ok {
				return bad()
			}
			a.Ports = append(a.Ports, n)
		}
	}
	d, err := time.ParseDuration(values[5])
	if err != nil || d < 0 || d.String() != values[5] {
		return bad()
	}
	a.Backoff = d
	return a, nil
}

// Args is a's command line, without the program's name.
func (a MonitorArgs) Args() []string {
	args := []string{"--build", a.Build, "--cli", a.CLI, "--root", a.Root, "--log-level", a.LogLevel}
	if a.Debug {
		args = append(args, "--debug")
	}
	if a.Trace {
		args = append(args, "--trace")
	}
	args = append(args, MonitorCommand)
	if a.Resume != nil {
		args = append(args, a.Resume.Args()...)
	}
	if a.Adopt != nil {
		args = append(args, "--adopt", a.Adopt.String())
	}
	return append(args, a.ID)
}

// ParseMonitorArgs reads what Args wrote, and nothing else: the monitor
// is started by mydocker, never by hand.
func ParseMonitorArgs(args []string) (MonitorArgs, error) {
	var a MonitorArgs
	var after, from string
	var resume, command bool
	value := func(i *int, name string) (string, error) {
		if *i+1 >= len(args) {
			return "", errors.Errorf("%s needs a value", name)
		}
		*i++
		return args[*i], nil
	}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		var err error
		switch {
		case arg == "--build" && !command:
			a.Build, err = value(&i, arg)
		case arg == "--cli" && !command:
			a.CLI, err = value(&i, arg)
		case arg == "--root" && !command:
			a.Root, err = value(&i, arg)
		case arg == "--log-level" && !command:
			a.LogLevel, err = value(&i, arg)
		case arg == "--debug" && !command:
			a.Debug = true
		case arg == "--trace" && !command:
			a.Trace = true
		case arg == MonitorCommand && !command:
			command = true
		case arg == "--resume-after" && command:
			after, err = value(&i, arg)
			resume = true
		case arg == "--resume-from" && command:
			from, err = value(&i, arg)
			resume = true
		case arg == "--adopt" && command && a.Adopt == nil:
			var v string
			if v, err = value(&i, arg); err == nil {
				a.Adopt, err = parseAdopt(v)
			}
		case command && a.ID == "" && !strings.HasPrefix(arg, "-"):
			a.ID = arg
		default:
			return MonitorArgs{}, errors.Errorf("unexpected argument %q (the monitor is started by mydocker run -d and start)", arg)
		}
		if err != nil {
			return MonitorArgs{}, err
		}
	}
	if !command || a.ID == "" || a.Root == "" {
		return MonitorArgs{}, errors.New("usage: mydocker-monitor --build B --cli PATH --root DIR --log-level L [--debug] [--trace] monitor [--resume-after D --resume-from PID:START | --adopt SPEC] ID (started by mydocker run -d and start)")
	}
	if resume && a.Adopt != nil {
		return MonitorArgs{}, errors.New("--adopt and --resume-* exclude each other")
	}
	if resume {
		r, err := ParseResume(after, from)
		if err != nil {
			return MonitorArgs{}, err
		}
		a.Resume = r
	}
	return a, nil
}
