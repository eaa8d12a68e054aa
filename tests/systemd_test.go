package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The systemd cgroup driver: where systemd is init (make vmtest with
// VMTEST_INIT=systemd boots Debian's systemd on pure cgroup v2), every
// container is a transient scope that systemd knows and leaves alone;
// elsewhere (this project's v1 CI host) asking for it fails cleanly.

// systemdBooted reports whether systemd is this machine's init.
func systemdBooted() bool {
	fi, err := os.Stat("/run/systemd/system")
	return err == nil && fi.IsDir()
}

// unitState is systemctl's ActiveState of unit ("inactive" once gone).
func unitState(t *testing.T, unit string) string {
	t.Helper()
	out, err := exec.Command("systemctl", "show", "-p", "ActiveState", "--value", unit).CombinedOutput()
	if err != nil {
		t.Fatalf("systemctl show %s: %v: %s", unit, err, out)
	}
	return strings.TrimSpace(string(out))
}

// procCgroup is the v2 cgroup of pid as /proc/<pid>/cgroup names it.
func procCgroup(t *testing.T, pid string) string {
	t.Helper()
	data, err := os.ReadFile("/proc/" + pid + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p
		}
	}
	t.Fatalf("no v2 cgroup for pid %s: %q", pid, data)
	return ""
}

func TestCgroupManagerSystemd(t *testing.T) {
	e := newEnv(t)
	if r := e.run(125, "--cgroup-manager", "nonsense", "run", "--rm", "busybox", "true"); !strings.Contains(r.stderr, `invalid cgroup manager "nonsense"`) {
		t.Errorf("stderr: %q", r.stderr)
	}
	e.assertNothingLeft()
	if !systemdBooted() || !hostIsV2() {
		// Asked for where it cannot work: one line, exit 125, nothing left.
		r := e.run(125, "--cgroup-manager", "systemd", "run", "-d", "busybox", "sleep", "100")
		if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "systemd cgroup manager needs") {
			t.Errorf("stderr: %q", r.stderr)
		}
		e.assertNothingLeft()
		return
	}

	id := e.ok("run", "-d", "-m", "64m", "--pids-limit", "9", "--cpu-shares", "2048", "busybox", "sleep", "1000")
	unit := "mydocker-" + id + ".scope"
	pid := strconv.Itoa(int(e.record(id)["State"].(map[string]any)["Pid"].(float64)))
	if got, want := procCgroup(t, pid), "/system.slice/"+unit+"/container"; got != want {
		t.Fatalf("container in cgroup %s, want %s", got, want)
	}
	if s := unitState(t, unit); s != "active" {
		t.Fatalf("%s is %s", unit, s)
	}
	// The monitor left the caller's unit for a scope of its own.
	mpid := strconv.Itoa(int(e.record(id)["State"].(map[string]any)["MonitorPid"].(float64)))
	if got, want := procCgroup(t, mpid), "/system.slice/mydocker-monitor-"+id+".scope"; got != want {
		t.Errorf("monitor in cgroup %s, want %s", got, want)
	}
	leaf := filepath.Join(scopeDir(id), "container")
	// A reload makes systemd rewrite the limits it owns: ours are below
	// its reach, in the delegated scope.
	if out, err := exec.Command("systemctl", "daemon-reload").CombinedOutput(); err != nil {
		t.Fatalf("daemon-reload: %v: %s", err, out)
	}
	if got := readTrim(t, filepath.Join(leaf, "memory.max")); got != strconv.Itoa(64<<20) {
		t.Errorf("memory.max after daemon-reload: %s", got)
	}
	if got := readTrim(t, filepath.Join(leaf, "pids.max")); got != "9" {
		t.Errorf("pids.max after daemon-reload: %s", got)
	}
	// A weight divides CPU time among siblings: the scope's, the other
	// containers, so it is the scope that carries it (and keeps it).
	if scope, leafW := readTrim(t, filepath.Join(scopeDir(id), "cpu.weight")), readTrim(t, filepath.Join(leaf, "cpu.weight")); scope != leafW || scope == "100" {
		t.Errorf("--cpu-shares 2048: the scope's cpu.weight %s, its leaf's %s", scope, leafW)
	}
	// Inside: the leaf is the container's cgroup root, limits visible.
	if got := e.ok("exec", id, "cat", "/sys/fs/cgroup/memory.max"); got != strconv.Itoa(64<<20) {
		t.Errorf("memory.max inside: %s", got)
	}
	if got := e.ok("exec", id, "cat", "/proc/self/cgroup"); got != "0::/" {
		t.Errorf("exec'd process's cgroup inside: %s", got)
	}
	// update reaches the leaf too.
	e.ok("update", "-m", "96m", id)
	if got := readTrim(t, filepath.Join(leaf, "memory.max")); got != strconv.Itoa(96<<20) {
		t.Errorf("memory.max after update: %s", got)
	}
	e.ok("rm", "-f", id)
	if s := unitState(t, unit); s != "inactive" {
		t.Errorf("%s is %s after rm", unit, s)
	}
	waitFor(t, "the monitor's scope to go", func() bool {
		return unitState(t, "mydocker-monitor-"+id+".scope") == "inactive"
	})
	if _, err := os.Stat(scopeDir(id)); !os.IsNotExist(err) {
		t.Errorf("scope cgroup left: %v", err)
	}
}

// A container started with run -d from a service outlives the service:
// systemd kills every process in a stopped service's cgroup, and the
// monitor, a child of run -d, would be one of them without its own scope.
func TestCgroupManagerSystemdMonitorOutlivesCaller(t *testing.T) {
	if !systemdBooted() || !hostIsV2() {
		// Covered by TestCgroupManagerSystemd's refusal here.
		e := newEnv(t)
		e.run(125, "--cgroup-manager", "systemd", "run", "-d", "busybox", "true")
		e.assertNothingLeft()
		return
	}
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// A runtime unit, started through systemd's private socket as root
	// (systemd-run would need the D-Bus daemon): oneshot, so systemd
	// kills what is left in its cgroup once run -d has returned.
	unit := "mydocker-test-caller-" + strconv.Itoa(os.Getpid()) + ".service"
	unitFile := filepath.Join("/run/systemd/system", unit)
	callerOut := filepath.Join(e.root, "caller.out")
	content := "[Unit]\nDefaultDependencies=no\n[Service]\nType=oneshot\nKillMode=control-group\nEnvironment=MYDOCKER_ROOT=" + e.root +
		"\nStandardOutput=file:" + callerOut + "\nStandardError=file:" + callerOut +
		"\nExecStart=" + binary + " run -d --name svc busybox sleep 1000\n"
	if err := os.WriteFile(unitFile, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.Remove(unitFile)
		exec.Command("systemctl", "daemon-reload").Run()
	})
	for _, args := range [][]string{{"daemon-reload"}, {"start", unit}} {
		if out, err := exec.CommandContext(ctx, "systemctl", args...).CombinedOutput(); err != nil {
			caller, _ := os.ReadFile(callerOut)
			t.Fatalf("systemctl %v: %v: %s\nrun -d printed: %s", args, err, out, caller)
		}
	}
	if s := unitState(t, unit); s != "inactive" {
		t.Fatalf("%s is %s", unit, s)
	}
	// The service has ended and systemd has killed what was left in it.
	id := e.ok("ps", "-q", "--no-trunc")
	if s := e.record(id)["State"].(map[string]any)["Status"]; s != "running" {
		t.Fatalf("container is %s after its caller's service stopped", s)
	}
	e.ok("stop", "-t", "1", "svc")
	if code := e.record(id)["State"].(map[string]any)["ExitCode"].(float64); code != 137 && code != 143 {
		t.Errorf("exit code recorded by the monitor: %v", code)
	}
	e.ok("rm", "svc")
}
