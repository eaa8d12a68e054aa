package tests

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A detached container's monitor runs from mydocker-monitor, the lean
// program beside mydocker (cmd/mydocker-monitor), named so in ps, and
// does all of a monitor's work: the container runs, its output reaches
// the log, stop is recorded.
func TestMonitorIsTheLeanProgram(t *testing.T) {
	e := newEnv(t)
	lean := filepath.Join(filepath.Dir(binary), "mydocker-monitor")
	if got := monitorOf(t, binary); got != lean {
		t.Fatalf("version's Monitor: %q, want %q", got, lean)
	}
	id := strings.TrimSpace(e.run(0, "run", "-d", "--network", "none", "busybox", "sh", "-c", "echo hello; exec sleep 100").stdout)
	// Once it has exec'd itself afresh (it reads nothing mid-exec).
	pid := e.adopted(id)
	if exe, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "exe")); err != nil || exe != lean {
		t.Fatalf("monitor %d runs %q (%v), want %s", pid, exe, err, lean)
	}
	if argv0 := procArgv0(t, pid); argv0 != "mydocker-monitor" {
		t.Fatalf("monitor's argv[0] %q, want mydocker-monitor", argv0)
	}
	e.waitLogs(id, "hello\n")
	e.run(0, "stop", "-t", "1", id)
	// sleep as pid 1 ignores SIGTERM: stop kills it after a second.
	if st := e.run(0, "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id).stdout; st != "exited 137\n" {
		t.Fatalf("after stop: %q, want exited 137", st)
	}
	e.run(0, "rm", id)
}

// Without mydocker-monitor beside it, mydocker is its own monitor, under
// the same name, and a container runs and stops the same.
func TestMonitorMissingFallsBackToMydocker(t *testing.T) {
	e := newEnv(t)
	// The image tar is read first: a run that has to read it is done by
	// mydocker-kube, the whole CLI, whose own monitor it would then be.
	e.ok("images")
	bin := installCopy(t, "mydocker", "mydocker-init", "mydocker-inside", "mydocker-kube")
	if got := monitorOf(t, bin); got != bin {
		t.Fatalf("version's Monitor without the lean program: %q, want %q", got, bin)
	}
	id := strings.TrimSpace(e.runWith(bin, "run", "-d", "--network", "none", "busybox", "sh", "-c", "echo hello; exec sleep 100").stdout)
	if id == "" {
		t.Fatal("run -d printed no ID")
	}
	// Once it has exec'd itself afresh (it reads nothing mid-exec).
	pid := e.adopted(id)
	if exe, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "exe")); err != nil || exe != bin {
		t.Fatalf("monitor %d runs %q (%v), want %s", pid, exe, err, bin)
	}
	if argv0 := procArgv0(t, pid); argv0 != "mydocker-monitor" {
		t.Fatalf("monitor's argv[0] %q, want mydocker-monitor", argv0)
	}
	e.waitLogs(id, "hello\n")
	if r := e.runWith(bin, "stop", "-t", "1", id); r.code != 0 {
		t.Fatalf("stop: %d %q", r.code, r.stderr)
	}
	if st := e.run(0, "inspect", "-f", "{{.State.Status}}", id).stdout; st != "exited\n" {
		t.Fatalf("after stop: %q, want exited", st)
	}
	e.run(0, "rm", id)
}

// A mydocker-monitor from another build refuses to start the container,
// and run -d says why in one line and leaves nothing behind.
func TestMonitorFromAnotherBuildIsRefused(t *testing.T) {
	e := newEnv(t)
	bin := installCopy(t, "mydocker", "mydocker-init", "mydocker-inside", "mydocker-monitor", "mydocker-kube")
	build, _ := versionOf(t, bin)
	if build == "" {
		t.Fatal("mydocker has no build ID: build it with make build")
	}
	monitor := filepath.Join(filepath.Dir(bin), "mydocker-monitor")
	data, err := os.ReadFile(monitor)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(data, []byte(build)) == 0 {
		t.Fatalf("build ID %q not found in mydocker-monitor", build)
	}
	if err := os.WriteFile(monitor, bytes.ReplaceAll(data, []byte(build), []byte(strings.Repeat("x", len(build)))), 0o755); err != nil {
		t.Fatal(err)
	}
	r := e.runWith(bin, "run", "-d", "--network", "none", "busybox", "sleep", "100")
	if r.code != 125 || r.stdout != "" || !strings.Contains(r.stderr, "another build") ||
		strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("run -d with a monitor of another build: code %d, stdout %q, stderr %q; want 125 and one line", r.code, r.stdout, r.stderr)
	}
	if ids := e.containerIDs(); len(ids) != 0 {
		t.Fatalf("containers left: %v", ids)
	}
}

// monitorOf is the Monitor that mydocker at bin reports in version.
func monitorOf(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command(bin, "version", "-f", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Monitor string }
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	return v.Monitor
}

// monitorPid is the pid of container id's monitor, from its record.
func (e *env) monitorPid(id string) int {
	e.t.Helper()
	pid := int(e.record(id)["State"].(map[string]any)["MonitorPid"].(float64))
	if pid <= 0 {
		e.t.Fatalf("container %s has no monitor pid", id)
	}
	return pid
}

// waitLogs waits until container id's logs are want.
func (e *env) waitLogs(id, want string) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := e.run(0, "logs", id).stdout
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("logs of %s: %q, want %q", id, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// inheritableFds lists process pid's descriptors past stderr that are not
// close-on-exec, with what they are.
func inheritableFds(t *testing.T, pid int) []string {
	t.Helper()
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	entries, err := os.ReadDir(filepath.Join(dir, "fd"))
	if err != nil {
		t.Fatal(err)
	}
	var leaks []string
	for _, ent := range entries {
		if n, _ := strconv.Atoi(ent.Name()); n <= 2 {
			continue
		}
		info, err := os.ReadFile(filepath.Join(dir, "fdinfo", ent.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		for _, line := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
				if err == nil && flags&unix.O_CLOEXEC == 0 {
					target, _ := os.Readlink(filepath.Join(dir, "fd", ent.Name()))
					leaks = append(leaks, ent.Name()+" -> "+target)
				}
			}
		}
	}
	return leaks
}

func procArgv0(t *testing.T, pid int) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		t.Fatal(err)
	}
	argv0, _, _ := strings.Cut(string(data), "\x00")
	return argv0
}

// adopted waits until container id's monitor has exec'd itself afresh to
// watch it (--adopt on its command line) and returns its pid, the same
// as before (exec keeps it).
func (e *env) adopted(id string) int {
	e.t.Helper()
	pid := e.monitorPid(id)
	waitFor(e.t, "the monitor to respawn", func() bool {
		data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		return err == nil && strings.Contains(string(data), "\x00--adopt\x00")
	})
	if got := e.monitorPid(id); got != pid {
		e.t.Fatalf("monitor pid %d after the respawn, %d before", got, pid)
	}
	return pid
}

// Once its container runs, the monitor execs itself afresh and the new
// image watches the container: the container survives the exec (its
// parent-death signal follows the thread that forked it), its output
// written before and after reaches the log, its published port stays
// held, and its stop is recorded and releases the port.
func TestMonitorRespawnsToWatch(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	port := freePort(t)
	id := e.ok("run", "-d", "-p", strconv.Itoa(port)+":80", "-v", dir+":/w", "busybox", "sh", "-c",
		"echo early; while [ ! -e /w/go ]; do sleep 0.05; done; echo late; exec sleep 1000")
	e.adopted(id)
	init := int(e.state(id)["Pid"].(float64))
	time.Sleep(200 * time.Millisecond) // a killed init would be recorded by now
	if st := e.state(id); st["Status"] != "running" || int(st["Pid"].(float64)) != init || unix.Kill(init, 0) != nil {
		t.Fatalf("after the respawn: %v", st)
	}
	if l, err := net.Listen("tcp4", ":"+strconv.Itoa(port)); err == nil {
		l.Close()
		t.Fatalf("host port %d free while the container runs: its socket was not handed over", port)
	}
	e.waitLogs(id, "early\n")
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e.waitLogs(id, "early\nlate\n")
	// What it inherited is close-on-exec again: nothing it starts (init
	// at a restart, a health check) gets the pipes, sockets or binary.
	if leaks := inheritableFds(t, e.monitorPid(id)); len(leaks) > 0 {
		t.Fatalf("the respawned monitor holds descriptors its children would inherit: %v", leaks)
	}
	e.ok("stop", "-t", "1", id)
	if st := e.state(id); st["Status"] != "exited" || st["ExitCode"] != float64(137) {
		t.Fatalf("after stop: %v", st)
	}
	l, err := net.Listen("tcp4", ":"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("host port %d still held after the container exited: %v", port, err)
	}
	l.Close()
	e.ok("rm", id)
}

// With -t the pty master is handed over: output through the terminal
// reaches the log; and a --rm container is removed when it exits.
func TestMonitorRespawnsWithTerminal(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	id := e.ok("run", "-d", "-t", "--rm", "--network", "none", "-v", dir+":/w", "busybox", "sh", "-c",
		"echo early; while [ ! -e /w/go ]; do sleep 0.05; done; echo late; exec sleep 1000")
	e.adopted(id)
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e.waitLogs(id, "early\r\nlate\r\n")
	e.ok("stop", "-t", "1", id)
	waitFor(t, "the --rm container to be removed", func() bool { return len(e.containerIDs()) == 0 })
}

// A restart policy is carried out across respawns: each start is followed
// by a fresh image, the back-off grows as Docker's, and the monitor stays
// the same process throughout.
func TestMonitorRespawnsAcrossRestarts(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "--restart", "on-failure:3", "--network", "none", "busybox", "sh", "-c", "echo ran; sleep 0.3; exit 3")
	pid := e.monitorPid(id)
	waitFor(t, "three restarts and the last exit", func() bool {
		st := e.state(id)
		return st["Status"] == "exited" && e.record(id)["RestartCount"] == float64(3)
	})
	e.waitLogs(id, "ran\nran\nran\nran\n")
	if st := e.state(id); st["ExitCode"] != float64(3) || int(e.record(id)["State"].(map[string]any)["MonitorPid"].(float64)) != pid {
		t.Fatalf("after the restarts: %v, monitor %v (was %d)", st, e.record(id)["State"].(map[string]any)["MonitorPid"], pid)
	}
	e.ok("rm", id)
}

// A container started by another thread (one that joined another
// container's namespaces) is watched in place: exec would end that thread
// and kill it. It runs and logs as any other.
func TestMonitorWatchesJoinedContainerInPlace(t *testing.T) {
	e := newEnv(t)
	first := e.ok("run", "-d", "--network", "none", "busybox", "sleep", "1000")
	e.adopted(first)
	id := e.ok("run", "-d", "--network", "container:"+first, "busybox", "sh", "-c", "echo joined; exec sleep 1000")
	e.waitLogs(id, "joined\n")
	pid := e.monitorPid(id)
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil || strings.Contains(string(data), "--adopt") {
		t.Fatalf("monitor of a joined container: %q %v, want it watching in place", data, err)
	}
	if st := e.state(id); st["Status"] != "running" {
		t.Fatalf("joined container: %v", st)
	}
	e.ok("rm", "-f", id, first)
}
