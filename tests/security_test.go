package tests

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Docker's default capability set as /proc/self/status prints it.
const dockerDefaultCaps = "00000000a80425fb"

func capLine(out, name string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, name+":") {
			return strings.TrimSpace(strings.TrimPrefix(l, name+":"))
		}
	}
	return ""
}

func TestCapabilitiesDefaultAndFlags(t *testing.T) {
	e := newEnv(t)
	out := e.ok("run", "--rm", "busybox", "grep", "^Cap", "/proc/self/status")
	for _, set := range []string{"CapEff", "CapPrm", "CapBnd"} {
		if got := capLine(out, set); got != dockerDefaultCaps {
			t.Errorf("%s = %s, want Docker's default %s", set, got, dockerDefaultCaps)
		}
	}
	e.ok("run", "-d", "--name", "c", "busybox", "sleep", "1000")
	if got := capLine(e.ok("exec", "c", "grep", "^Cap", "/proc/self/status"), "CapEff"); got != dockerDefaultCaps {
		t.Errorf("exec CapEff = %s", got)
	}
	if got := capLine(e.ok("run", "--rm", "--cap-drop", "ALL", "busybox", "grep", "CapEff", "/proc/self/status"), "CapEff"); got != "0000000000000000" {
		t.Errorf("--cap-drop ALL: %s", got)
	}
	// NET_ADMIN is bit 12.
	if got := capLine(e.ok("run", "--rm", "--cap-add", "net_admin", "busybox", "grep", "CapEff", "/proc/self/status"), "CapEff"); got != "00000000a80435fb" {
		t.Errorf("--cap-add NET_ADMIN: %s", got)
	}
	priv := capLine(e.ok("run", "--rm", "--privileged", "busybox", "grep", "CapEff", "/proc/self/status"), "CapEff")
	if v, _ := strconv.ParseUint(priv, 16, 64); v&(1<<21) == 0 { // CAP_SYS_ADMIN
		t.Errorf("--privileged lacks CAP_SYS_ADMIN: %s", priv)
	}
	r := e.run(125, "run", "--rm", "--cap-add", "CAP_FLY", "busybox", "true")
	if !strings.Contains(r.stderr, "CAP_FLY") {
		t.Errorf("unknown capability: %q", r.stderr)
	}
}

func TestMountAndNamespacesDenied(t *testing.T) {
	e := newEnv(t)
	out := e.ok("run", "--rm", "busybox", "sh", "-c",
		"mount -t tmpfs x /tmp 2>/dev/null && echo mounted || echo denied; unshare -m true 2>/dev/null && echo unshared || echo denied")
	if out != "denied\ndenied" {
		t.Fatalf("inside: %q", out)
	}
	// With CAP_SYS_ADMIN, Docker's profile allows both ...
	if out := e.ok("run", "--rm", "--cap-add", "SYS_ADMIN", "busybox", "sh", "-c",
		"mount -t tmpfs x /tmp 2>/dev/null && echo mounted || echo denied; unshare -m true 2>/dev/null && echo unshared || echo denied"); out != "mounted\nunshared" {
		t.Fatalf("--cap-add SYS_ADMIN: %q", out)
	}
	// ... and so does no filter at all.
	if out := e.ok("run", "--rm", "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined", "busybox", "sh", "-c", "mount -t tmpfs x /tmp && echo mounted"); out != "mounted" {
		t.Fatalf("seccomp=unconfined: %q", out)
	}
	e.run(125, "run", "--rm", "--security-opt", "apparmor=foo", "busybox", "true")
}

func TestMaskedAndReadOnlyPaths(t *testing.T) {
	e := newEnv(t)
	script := `cat /proc/kcore 2>/dev/null | wc -c
cat /proc/keys 2>/dev/null | wc -c
cat /proc/timer_list 2>/dev/null | wc -c
ls /sys/firmware | wc -l
echo x 2>/dev/null > /proc/sys/kernel/domainname && echo wrote || echo refused
echo h 2>/dev/null > /proc/sysrq-trigger && echo wrote || echo refused
echo x 2>/dev/null > /sys/kernel/uevent_helper && echo wrote || echo refused
ls /dev | tr '\n' ' '`
	lines := strings.Split(e.ok("run", "--rm", "busybox", "sh", "-c", script), "\n")
	want := []string{"0", "0", "0", "0", "refused", "refused", "refused"}
	for i, w := range want {
		if strings.TrimSpace(lines[i]) != w {
			t.Errorf("probe %d: %q, want %q", i, lines[i], w)
		}
	}
	// Only the standard device nodes.
	if got := strings.TrimSpace(lines[7]); got != "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero" {
		t.Errorf("/dev: %q", got)
	}
	// --privileged unmasks.
	if out := e.ok("run", "--rm", "--privileged", "busybox", "sh", "-c", "ls /sys/firmware | wc -l"); out == "0" {
		t.Error("--privileged still masks /sys/firmware")
	}
}

// A tar that tries to write outside its layer fails to unpack and leaves
// the victim directory as it was.
func TestMaliciousImageTar(t *testing.T) {
	e := newEnv(t)
	victim := t.TempDir()
	for i, entries := range [][]tar.Header{
		{{Name: "../../../../../../../../" + strings.TrimPrefix(victim, "/") + "/pwned", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}},
		{{Name: "escape", Typeflag: tar.TypeSymlink, Linkname: victim, Mode: 0o777}, {Name: "escape/pwned", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}},
		{{Name: "hl", Typeflag: tar.TypeLink, Linkname: "../../../../" + strings.TrimPrefix(victim, "/") + "/file", Mode: 0o644}},
	} {
		name := fmt.Sprintf("evil%d", i)
		f, err := os.Create(filepath.Join(e.root, "image", name+".tar"))
		if err != nil {
			t.Fatal(err)
		}
		tw := tar.NewWriter(f)
		for _, h := range entries {
			h := h
			if err := tw.WriteHeader(&h); err != nil {
				t.Fatal(err)
			}
			if h.Size > 0 {
				if _, err := tw.Write([]byte("x")); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		r := e.run(125, "run", "--rm", name, "true")
		if !strings.Contains(r.stderr, name) {
			t.Errorf("%s: %q", name, r.stderr)
		}
	}
	if entries, _ := os.ReadDir(victim); len(entries) != 0 {
		t.Fatalf("victim directory changed: %v", entries)
	}
	if layers, _ := filepath.Glob(filepath.Join(e.root, "layers", "unpack-*")); len(layers) != 0 {
		t.Fatalf("half-unpacked layers left: %v", layers)
	}
	e.assertNothingLeft()
}

func TestVolumeTargetWithDotDotStaysInside(t *testing.T) {
	e := newEnv(t)
	src := t.TempDir()
	marker := "mydocker-dotdot-" + strconv.Itoa(os.Getpid())
	e.ok("run", "--rm", "-v", src+":/a/../../../../tmp/"+marker, "busybox", "sh", "-c", "echo in > /tmp/"+marker+"/f")
	if _, err := os.Stat("/tmp/" + marker); err == nil {
		os.RemoveAll("/tmp/" + marker)
		t.Fatal("volume target escaped to the host's /tmp")
	}
	if got, err := os.ReadFile(filepath.Join(src, "f")); err != nil || string(got) != "in\n" {
		t.Fatalf("volume not mounted at the cleaned target: %q %v", got, err)
	}
}

// monitorsOf lists the pids of the detached monitors of this env's root.
func (e *env) monitorsOf() []int {
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(string(data), "\x00")
		if len(args) > 2 && args[0] == "mydocker-monitor" && strings.Contains(string(data), e.root) {
			if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// assertCleanAfterRmAll removes every container and checks nothing is
// left: records, mounts, cgroups, and the volume's data intact.
func (e *env) assertCleanAfterRmAll(vol string) {
	e.t.Helper()
	r := e.run(0, "ps", "-a", "-q", "--no-trunc")
	if ids := strings.Fields(r.stdout); len(ids) > 0 {
		e.run(0, append([]string{"rm", "-f"}, ids...)...)
		for _, id := range ids {
			assertNoCgroup(e.t, id)
		}
	}
	// Records whose config.json never got written are removable too.
	if ids := e.containerIDs(); len(ids) > 0 {
		e.run(0, append([]string{"rm", "-f"}, ids...)...)
	}
	e.assertNothingLeft()
	if got, err := os.ReadFile(filepath.Join(vol, "precious")); err != nil || string(got) != "data" {
		e.t.Fatalf("volume data lost: %q %v", got, err)
	}
}

func TestKillRunAtAnyPoint(t *testing.T) {
	e := newEnv(t)
	vol := t.TempDir()
	if err := os.WriteFile(filepath.Join(vol, "precious"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, delay := range []time.Duration{0, 2, 5, 10, 20, 40, 80, 150} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		c := e.cmd(ctx, "run", "-v", vol+":/data", "-m", "64m", "busybox", "sh", "-c", "echo x > /data/f; sleep 100")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay * time.Millisecond)
		if err := c.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		c.Wait()
		cancel()
		// The container dies with the CLI that watched it, and ps says so.
		waitFor(t, "containers to die with their parent", func() bool {
			return e.ok("ps", "-q") == "" && e.psIsTruthful()
		})
	}
	e.assertCleanAfterRmAll(vol)
}

func TestKillMonitorAtAnyPoint(t *testing.T) {
	e := newEnv(t)
	vol := t.TempDir()
	if err := os.WriteFile(filepath.Join(vol, "precious"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, delay := range []time.Duration{0, 3, 8, 15, 30, 60, 120} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		c := e.cmd(ctx, "run", "-d", "-v", vol+":/data", "busybox", "sleep", "100")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(delay * time.Millisecond)
		for time.Now().Before(deadline) || delay == 0 {
			for _, pid := range e.monitorsOf() {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			if delay == 0 {
				break
			}
		}
		for _, pid := range e.monitorsOf() {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		c.Wait()
		cancel()
		waitFor(t, "ps to match the processes", e.psIsTruthful)
	}
	e.assertCleanAfterRmAll(vol)
}

func TestParallelBursts(t *testing.T) {
	e := newEnv(t)
	const n = 30
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := e.exec(nil, "run", "-d", "busybox", "sleep", "1000")
			if err != nil || r.code != 0 {
				t.Errorf("run %d: %v %s", i, err, r.stderr)
				return
			}
			ids[i] = strings.TrimSpace(r.stdout)
		}(i)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	var rows []psRow
	for _, l := range strings.Split(e.ok("ps", "--format", "json"), "\n") {
		var row psRow
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatalf("torn ps output %q: %v", l, err)
		}
		rows = append(rows, row)
	}
	names, seen := map[string]bool{}, map[string]bool{}
	for _, r := range rows {
		names[r.Names] = true
		seen[r.ID] = true
		if r.State != "running" {
			t.Errorf("%s is %s", r.ID, r.State)
		}
	}
	if len(rows) != n || len(names) != n || len(seen) != n {
		t.Fatalf("%d rows, %d names, %d IDs; want %d each", len(rows), len(names), len(seen), n)
	}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			if r, err := e.exec(nil, "rm", "-f", id); err != nil || r.code != 0 {
				t.Errorf("rm -f %s: %v %s", id[:12], err, r.stderr)
			}
		}(ids[i])
	}
	wg.Wait()
	e.assertNothingLeft()
}

type psRow struct {
	ID, Names, State string
	Pid              int
}

// psIsTruthful checks every container ps lists: running exactly when its
// process is alive (not a zombie).
func (e *env) psIsTruthful() bool {
	out := e.ok("ps", "-a", "--format", "json", "--no-trunc")
	for _, l := range strings.Split(out, "\n") {
		if l == "" {
			continue
		}
		var row psRow
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			e.t.Fatalf("ps output %q: %v", l, err)
		}
		pid := int(e.record(row.ID)["State"].(map[string]any)["Pid"].(float64))
		alive := false
		if data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); pid > 0 && err == nil {
			alive = !strings.Contains(string(data), ") Z ")
		}
		if (row.State == "running") != alive {
			return false
		}
	}
	return true
}

func TestCorruptRecord(t *testing.T) {
	e := newEnv(t)
	good := e.ok("run", "-d", "--name", "good", "busybox", "sleep", "1000")
	bad := e.ok("run", "-d", "--name", "bad", "busybox", "sleep", "1000")
	if err := os.WriteFile(filepath.Join(e.root, "containers", bad, "config.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.run(0, "ps")
	if !strings.Contains(r.stdout, "good") || !strings.Contains(r.stderr, bad) {
		t.Fatalf("ps with a corrupt record: stdout %q stderr %q", r.stdout, r.stderr)
	}
	if got := e.ok("inspect", "good"); !strings.Contains(got, good) {
		t.Fatal("inspect of the good container failed")
	}
	e.ok("rm", "-f", bad[:12])
	e.ok("rm", "-f", "good")
	e.assertNothingLeft()
}

// An exec'd process is confined exactly as the container's own: its
// capability sets, seccomp filter, user, groups and limits are those of
// pid 1. Init confines itself in Go (package confine); exec's stub is C
// following a plan the host worked out: this holds the two together.
func TestExecConfinedAsInit(t *testing.T) {
	e := newEnv(t)
	fields := []string{"Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters"}
	script := `for f in ` + strings.Join(fields, " ") + `; do
		a=$(grep "^$f:" /proc/1/status); b=$(grep "^$f:" /proc/self/status)
		[ "$a" = "$b" ] && echo "$b" || echo "DIFFERS pid 1 $a, exec $b"
	done
	for l in "Max open files" "Max processes"; do
		a=$(grep "^$l" /proc/1/limits); b=$(grep "^$l" /proc/self/limits)
		[ "$a" = "$b" ] && echo "$b" || echo "DIFFERS pid 1 $a, exec $b"
	done`
	for i, flags := range [][]string{
		nil,
		{"--cap-drop", "ALL", "--cap-add", "NET_ADMIN", "--cap-add", "SYS_ADMIN"},
		{"-u", "1000:1000", "--group-add", "29", "--group-add", "44"},
		{"-u", "nobody", "--group-add", "tty"},
		{"--privileged"},
		{"--security-opt", "seccomp=unconfined", "--cap-add", "SYS_PTRACE"},
		{"--ulimit", "nofile=512:1024", "--ulimit", "nproc=100:200"},
	} {
		name := fmt.Sprintf("c%d", i)
		args := append(append([]string{"run", "-d", "--name", name}, flags...), "busybox", "sleep", "1000")
		e.ok(args...)
		out := e.ok("exec", name, "sh", "-c", script)
		if strings.Contains(out, "DIFFERS") || strings.Count(out, "\n") != len(fields)+1 {
			t.Errorf("%v: exec'd process and pid 1:\n%s", flags, out)
		}
		e.ok("rm", "-f", name)
	}
	// exec -u switches the user only: root's capabilities go, the
	// bounding set and the filter stay.
	e.ok("run", "-d", "--name", "u", "busybox", "sleep", "1000")
	out := e.ok("exec", "-u", "nobody", "u", "grep", "-E", "^(Uid|Groups|CapEff|CapPrm|CapBnd|Seccomp):", "/proc/self/status")
	want := "Uid:\t65534\t65534\t65534\t65534\nGroups:\t \nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t" + dockerDefaultCaps + "\nSeccomp:\t2"
	if out != want {
		t.Errorf("exec -u nobody:\n%s\nwant:\n%s", out, want)
	}
}
