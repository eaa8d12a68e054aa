package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// syncCalls runs mydocker under strace and counts the calls that wait for
// the disk: fsync, fdatasync, syncfs and sync.
func (e *env) syncCalls(args ...string) int {
	e.t.Helper()
	out := filepath.Join(e.t.TempDir(), "strace")
	c := exec.Command("strace", append([]string{"-f", "-qq", "-e", "trace=fsync,fdatasync,syncfs,sync", "-o", out, binary}, args...)...)
	c.Env = append(os.Environ(), "MYDOCKER_ROOT="+e.root)
	if b, err := c.CombinedOutput(); err != nil {
		e.t.Fatalf("strace mydocker %v: %v: %s", args, err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(regexp.MustCompile(`(?m)\b(fsync|fdatasync|syncfs|sync)\(`).FindAll(data, -1))
}

// run --rm waits for the disk nowhere: its record goes with it, so
// nothing it writes has to survive a crash of the machine. A container
// that stays (run -d) has its record made durable.
func TestRunRmWaitsForNoDisk(t *testing.T) {
	e := newEnv(t)
	// The first run stores the image, durably.
	e.run(0, "run", "--rm", "--network", "none", "busybox", "true")
	if n := e.syncCalls("run", "--rm", "--network", "none", "busybox", "true"); n != 0 {
		t.Errorf("run --rm --network none: %d fsync-like calls, want 0", n)
	}
	if n := e.syncCalls("run", "-d", "--name", "stays", "--network", "none", "busybox", "true"); n == 0 {
		t.Errorf("run -d: no fsync: the record of a container that stays must be durable")
	}
}

// overlayOptions returns the super options of the overlay mounted at the
// container's merged dir.
func (e *env) overlayOptions(id string) string {
	e.t.Helper()
	infos, err := mountinfo.GetMounts(mountinfo.SingleEntryFilter(filepath.Join(e.root, "overlay2", id, "merged")))
	if err != nil || len(infos) != 1 {
		e.t.Fatalf("overlay of %s: %v %v", id, infos, err)
	}
	return infos[0].VFSOptions
}

// A --rm container's overlay is volatile (unmounting it does not sync the
// disk under the state root); a container that stays keeps its writes
// durable. A volatile marker left by a crash does not stop the start.
func TestRunRmOverlayIsVolatile(t *testing.T) {
	e := newEnv(t)
	rm := strings.TrimSpace(e.run(0, "run", "-d", "--rm", "--network", "none", "busybox", "sleep", "100").stdout)
	if opts := e.overlayOptions(rm); !strings.Contains(opts, "volatile") {
		t.Errorf("--rm container's overlay options %q: want volatile", opts)
	}
	stays := strings.TrimSpace(e.run(0, "run", "-d", "--network", "none", "busybox", "sleep", "100").stdout)
	if opts := e.overlayOptions(stays); strings.Contains(opts, "volatile") {
		t.Errorf("a kept container's overlay options %q: must not be volatile", opts)
	}
	e.run(0, "rm", "-f", rm, stays)

	// As a crash leaves it: the marker in the work dir of a --rm
	// container that is created but not yet started.
	id := strings.TrimSpace(e.run(0, "create", "--rm", "--network", "none", "busybox", "echo", "started").stdout)
	marker := filepath.Join(e.root, "overlay2", id, "work", "work", "incompat", "volatile")
	if err := os.MkdirAll(marker, 0o700); err != nil {
		t.Fatal(err)
	}
	if r := e.run(0, "start", "-a", id); r.stdout != "started\n" {
		t.Fatalf("start with a volatile marker left: %q %q", r.stdout, r.stderr)
	}
}

// A container's command starts with the kernel's default timer slack,
// whatever the thread that ran mydocker had. mydocker's Go programs give
// their runtime's sysmon a slack of 1 ms (internal/sysmonslack), which
// the threads the runtime starts from sysmon inherit, and the processes
// those threads start: init and exec's stub set the default before they
// exec the command. mydocker runs here from a thread with a slack of its
// own, so a command that inherited anything shows it.
func TestContainersStartWithTheDefaultTimerSlack(t *testing.T) {
	e := newEnv(t)
	// Never unlocked: the thread ends with the test's goroutine, so its
	// slack goes nowhere else.
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_TIMERSLACK, 70000, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	const want = "50000"
	slack := []string{"cat", "/proc/self/timerslack_ns"}
	check := func(how string, args ...string) {
		t.Helper()
		if got := e.ok(args...); got != want {
			t.Errorf("%s: timer slack %s ns, want the default %s", how, got, want)
		}
	}
	check("run", append([]string{"run", "--rm", "--network", "none", "busybox"}, slack...)...)
	check("run --init", append([]string{"run", "--rm", "--init", "--network", "none", "busybox"}, slack...)...)
	// run -d: init is started by the container's monitor.
	id := e.ok(append([]string{"run", "-d", "--network", "none", "busybox"}, slack...)...)
	if code := e.ok("wait", id); code != "0" {
		t.Fatalf("wait: exit %s", code)
	}
	check("run -d", "logs", id)
	id = e.ok("run", "-d", "--network", "none", "busybox", "sleep", "100")
	check("exec", append([]string{"exec", id}, slack...)...)
	e.run(0, "rm", "-f", id)
}

// earlyInit is the pid a --debug run's stderr says it started the
// container's init as before anything else, "" if it did not.
var earlyInit = regexp.MustCompile(`init started early as pid (\d+)(?: \(before the command line was parsed\))?"`)

// prestarted is the debug line of an init started before the command line
// was parsed (package prestart), once taken.
var prestarted = regexp.MustCompile(`init started early as pid (\d+) \(before the command line was parsed\)"`)

// A foreground run starts its container's init as soon as it has read
// its flags, while it makes the record, the rootfs and the cgroups, and
// then sends init the overlay it mounted (container.EarlyInit). The
// command's / is that overlay: what it writes is in the container's
// upper dir, as with an init started after the mount. On v2 init is
// created inside its cgroup instead, once the cgroup exists.
func TestRunStartsInitBeforeItsRootfs(t *testing.T) {
	e := newEnv(t)
	// The image is a tar yet: the run reads it with the whole program
	// (mydocker-kube), which it execs in its place, and which starts an
	// init early again; the first one must not outlive the exec.
	r := e.run(0, "--debug", "run", "--name", "early", "--network", "none", "busybox", "sh", "-c", "echo written > /f && cat /f && grep ' / / ' /proc/self/mountinfo")
	started := earlyInit.FindAllStringSubmatch(r.stderr, -1)
	if cgroupV2() {
		if started != nil {
			t.Fatalf("v2: init started before its cgroup existed:\n%s", r.stderr)
		}
	} else {
		if len(started) != 2 {
			t.Fatalf("%d inits started early, want 2 (the CLI's, then the whole program's):\n%s", len(started), r.stderr)
		}
		if !strings.Contains(r.stderr, "init started early as pid "+started[1][1]+" is the container's") {
			t.Fatalf("the init started early was not the container's:\n%s", r.stderr)
		}
		if cmdline, err := os.ReadFile("/proc/" + started[0][1] + "/cmdline"); err == nil && strings.Contains(string(cmdline), "mydocker-init") {
			t.Errorf("the init started early by the CLI, pid %s, outlived its exec of the whole program", started[0][1])
		}
		// Both were started before the command line was parsed (package
		// prestart), each by the program that then took it.
		if n := len(prestarted.FindAllString(r.stderr, -1)); n != 2 {
			t.Errorf("%d of the inits started early were started before the command line was parsed, want both:\n%s", n, r.stderr)
		}
	}
	if !strings.HasPrefix(r.stdout, "written\n") || !strings.Contains(r.stdout, " - overlay overlay ") {
		t.Fatalf("the command's / is not the container's overlay: %q", r.stdout)
	}
	ids := e.containerIDs()
	if len(ids) != 1 {
		t.Fatalf("containers %v, want one", ids)
	}
	if data, err := os.ReadFile(filepath.Join(e.root, "overlay2", ids[0], "upper", "f")); err != nil || string(data) != "written\n" {
		t.Fatalf("the container's write is not in its upper dir: %q, %v", data, err)
	}
	e.run(0, "rm", "early")

	// The image is in the store now: the run is the CLI's alone, and its
	// init is the one started before its command line was parsed, given
	// the terminal-less stdin -i asks for.
	r = e.runIn([]byte("from stdin\n"), 0, "--debug", "run", "--rm", "-i", "--network", "none", "busybox", "cat")
	if r.stdout != "from stdin\n" {
		t.Fatalf("stdin did not reach the container: %q", r.stdout)
	}
	if got := len(prestarted.FindAllString(r.stderr, -1)); cgroupV2() && got != 0 {
		t.Fatalf("v2: init started before its cgroup existed:\n%s", r.stderr)
	} else if !cgroupV2() && got != 1 {
		t.Fatalf("%d inits started before the command line was parsed, want 1:\n%s", got, r.stderr)
	}
	// A detached run's init is started by its monitor: none is started
	// before its command line is parsed, not even to be discarded.
	r = e.run(0, "--debug", "run", "-d", "--network", "none", "busybox", "true")
	if strings.Contains(r.stderr, "before the command line was parsed") {
		t.Fatalf("a detached run started an init before its command line was parsed:\n%s", r.stderr)
	}
	e.run(0, "rm", "-f", strings.TrimSpace(r.stdout))
}

// An init started early goes with a run that fails before its start,
// and none is started for a container that joins another's namespaces:
// it has to be forked inside them.
func TestEarlyInitOnlyWhereItCanServe(t *testing.T) {
	e := newEnv(t)
	r := e.run(125, "--debug", "run", "--rm", "--network", "no-such-network", "busybox", "true")
	started := earlyInit.FindStringSubmatch(r.stderr)
	switch {
	case cgroupV2() && started != nil:
		t.Fatalf("v2: init started before its cgroup existed:\n%s", r.stderr)
	case !cgroupV2() && started == nil:
		t.Fatalf("no init started early:\n%s", r.stderr)
	case started != nil:
		if cmdline, err := os.ReadFile("/proc/" + started[1] + "/cmdline"); err == nil && strings.Contains(string(cmdline), "mydocker-init") {
			t.Errorf("the init started early, pid %s, outlived the failed run", started[1])
		}
	}
	e.assertNothingLeft()

	id := e.ok("run", "-d", "--network", "none", "busybox", "sleep", "100")
	r = e.run(0, "--debug", "run", "--rm", "--network", "container:"+id, "busybox", "true")
	if earlyInit.MatchString(r.stderr) {
		t.Errorf("an init started early for a container joining another's network:\n%s", r.stderr)
	}
	e.run(0, "rm", "-f", id)
}
