package tests

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ourProcessesIn lists, from the host, the processes that run the binary
// bin (however it is mounted) or a memfd copy of it, and whose pid
// namespace is the one of process pid: ours, visible from inside.
func ourProcessesIn(t *testing.T, bin string, pid int) []string {
	t.Helper()
	binInfo, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	target, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, en := range entries {
		p, err := strconv.Atoi(en.Name())
		if err != nil {
			continue
		}
		ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", p))
		if err != nil || ns != target {
			continue // gone, or another namespace
		}
		exe := fmt.Sprintf("/proc/%d/exe", p)
		link, _ := os.Readlink(exe)
		info, err := os.Stat(exe)
		if (err == nil && os.SameFile(info, binInfo)) || strings.Contains(link, "memfd:mydocker") {
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
			found = append(found, fmt.Sprintf("pid %d (%s): %q", p, link, strings.ReplaceAll(string(cmdline), "\x00", " ")))
		}
	}
	return found
}

// pidsWithCmdline lists the host's processes whose command line holds
// part (arguments separated by NUL).
func pidsWithCmdline(t *testing.T, part string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, en := range entries {
		p, err := strconv.Atoi(en.Name())
		if err != nil {
			continue
		}
		if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p)); err == nil && strings.Contains(string(cmdline), part) {
			pids = append(pids, p)
		}
	}
	return pids
}

func (e *env) containerPid(name string) int {
	e.t.Helper()
	pid, _ := e.state(name)["Pid"].(float64)
	if pid <= 0 {
		e.t.Fatalf("container %s has no pid", name)
	}
	return int(pid)
}

// running says whether container name exists and runs (without failing
// the test when it does not exist yet).
func (e *env) running(name string) bool {
	r, err := e.exec(nil, "inspect", name)
	var out []struct{ State struct{ Status string } }
	if err != nil || r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil || len(out) != 1 {
		return false
	}
	return out[0].State.Status == "running"
}

// While `exec -it` runs, container root looks at every process it can see
// and tries what the old in-container relay allowed: its /proc/<pid>/fd/0
// (the admin's terminal) and /proc/<pid>/mem (code injection into an
// unconfined thread). Every process it sees must be one of the user's,
// running the image's busybox, and nothing running mydocker may sit in
// the container's pid namespace: the relay stays on the host.
func TestExecTtyRelayUnreachable(t *testing.T) {
	e := newEnv(t)
	name := "relay-" + strconv.Itoa(os.Getpid())
	e.ok("run", "-d", "--name", name, "busybox", "sleep", "1000")
	pid := e.containerPid(name)
	probe := `for d in /proc/[0-9]*; do
	p=${d#/proc/}
	[ "$p" = "$$" ] && continue
	exe=$(readlink $d/exe 2>/dev/null) || exe=UNREADABLE
	cmd=$(tr '\0' ' ' < $d/cmdline 2>/dev/null)
	fd0=no; (exec 3<$d/fd/0) 2>/dev/null && fd0=yes
	mem=no; (exec 3<$d/mem) 2>/dev/null && mem=yes
	echo "$p|$exe|$fd0|$mem|$cmd"
done`
	var inside string
	var ours []string
	relayNs := map[int]string{}
	out, code := runInPtyFunc(t, e, func(master *os.File, shown func() string) {
		waitFor(t, "exec -it session", func() bool { return strings.Contains(shown(), "SESSION-2") })
		ours = ourProcessesIn(t, binary, pid)
		for _, p := range pidsWithCmdline(t, "exec\x00-it\x00"+name+"\x00") {
			relayNs[p], _ = os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", p))
		}
		r, err := e.exec(nil, "exec", name, "sh", "-c", probe)
		if err != nil || r.code != 0 {
			t.Errorf("probe: %v %d %s", err, r.code, r.stderr)
		}
		inside = r.stdout
		master.WriteString("done\n") //nolint:errcheck // the session ends either way
	}, "exec", "-it", name, "sh", "-c", "stty size; echo SESSION-$((1+1)); read x")
	// The pty opened in the container got the caller's terminal size.
	if code != 0 || !strings.Contains(out, "40 120") {
		t.Fatalf("exec -it: exit %d, output %q", code, out)
	}
	if len(ours) > 0 {
		t.Errorf("mydocker processes inside the container's pid namespace: %v", ours)
	}
	// The relay is the `mydocker exec -it` the user ran, still on the host.
	containerNs, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err != nil {
		t.Fatal(err)
	}
	if len(relayNs) == 0 {
		t.Error("the exec -it relay is no longer the process the user started")
	}
	for p, ns := range relayNs {
		if ns == "" || ns == containerNs {
			t.Errorf("relay pid %d is in the container's pid namespace (%q)", p, ns)
		}
	}
	lines := strings.Split(strings.TrimSpace(inside), "\n")
	if len(lines) < 2 {
		t.Fatalf("probe saw too little: %q", inside)
	}
	for _, l := range lines {
		f := strings.SplitN(l, "|", 5)
		if len(f) != 5 {
			t.Fatalf("probe line %q", l)
		}
		user := f[4] == "sleep 1000 " || strings.Contains(f[4], "SESSION-")
		if f[1] != "/bin/busybox" || !user {
			t.Errorf("container sees a process that is not the user's: %q", l)
			if f[2] == "yes" || f[3] == "yes" {
				t.Errorf("and opened its fd/0 or mem: %q", l)
			}
		}
	}
}

// A host file given to exec as stdin must not reach the container: the
// command could reopen it for writing through /proc/self/fd/0.
func TestExecStdinIsNotHostFile(t *testing.T) {
	e := newEnv(t)
	name := "stdin-" + strconv.Itoa(os.Getpid())
	e.ok("run", "-d", "--name", name, "busybox", "sleep", "1000")
	assertStdinNotWritable(t, e, "/proc/self/fd/0", "exec", name)
}

// assertStdinNotWritable runs mydocker args... with a host file as stdin;
// the command reads a line from it, then tries to write into it through
// fdPath. The write may land in a pipe, never in the host file.
func assertStdinNotWritable(t *testing.T, e *env, fdPath string, args ...string) {
	t.Helper()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("original\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(victim)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := e.cmd(ctx, append(args, "sh", "-c", "read line; echo \"read $line\"; echo pwned > "+fdPath+" && echo wrote")...)
	c.Stdin = f
	got, err := c.Output()
	if err != nil {
		t.Fatalf("%s: %v", args[0], err)
	}
	if string(got) != "read original\nwrote\n" {
		t.Fatalf("%s printed %q", args[0], got)
	}
	if data, err := os.ReadFile(victim); err != nil || string(data) != "original\n" {
		t.Fatalf("host file given as stdin was changed from inside: %q %v", data, err)
	}
}

// copyBinary copies mydocker into a temp dir, with mydocker-kube (it
// assembles the seccomp filter on a miss of the cache, a new root's first
// run) and mydocker-init (exec's stub), and returns the copy of mydocker
// and the sha256 of each copy, so an attack that succeeds corrupts only
// the copies.
func copyBinary(t *testing.T) (string, map[string][32]byte) {
	t.Helper()
	dir := t.TempDir()
	sums := map[string][32]byte{}
	for _, name := range []string{"mydocker", "mydocker-kube", "mydocker-init"} {
		data, err := os.ReadFile(filepath.Join(filepath.Dir(binary), name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o755); err != nil {
			t.Fatal(err)
		}
		sums[name] = sha256.Sum256(data)
	}
	return filepath.Join(dir, "mydocker"), sums
}

// assertUnchanged fails the test if a copy made by copyBinary changed.
func assertUnchanged(t *testing.T, bin string, sums map[string][32]byte) {
	t.Helper()
	for name, before := range sums {
		if after := sha256File(t, filepath.Join(filepath.Dir(bin), name)); after != before {
			t.Fatalf("the container modified %s (sha256 %x, was %x)", name, after, before)
		}
	}
}

func sha256File(t *testing.T, p string) [32]byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// with runs a copy of mydocker bin on e's root.
func (e *env) with(ctx context.Context, bin string, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, bin, args...)
	c.Env = append(os.Environ(), "MYDOCKER_ROOT="+e.root)
	c.WaitDelay = 5 * time.Second
	return c
}

// CVE-2019-5736 through exec: the container replaces /bin/sh with
// "#!/proc/self/exe" and watches every new pid; when the admin runs
// `mydocker exec C sh`, it holds /proc/<pid>/exe of each process that is
// not its own (the exec stub, mydocker-init) and, once they have exited,
// reopens them for writing.
func TestExecCannotOverwriteBinary(t *testing.T) {
	e := newEnv(t)
	bin, before := copyBinary(t)
	shared := t.TempDir()
	installHelper(t, "attacker", shared)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	name := "cve-" + strconv.Itoa(os.Getpid())
	// The container's monitor runs the build's binary: the copy is busy
	// only while the exec under attack runs.
	e.ok("run", "-d", "--name", name, "-v", shared+":/shared", "busybox", "/shared/attacker", "exec-race")
	waitFor(t, "attacker ready", func() bool { _, err := os.Stat(filepath.Join(shared, "ready")); return err == nil })
	caught := func() bool { _, err := os.Stat(filepath.Join(shared, "caught")); return err == nil }
	// The attacker polls: it may miss a short-lived process, so the admin
	// "retries" until it has caught one (what a patient attacker waits for).
	for i := 0; i < 50 && !caught(); i++ {
		e.with(ctx, bin, "exec", name, "sh").Run() //nolint:errcheck // mydocker, run as sh, fails
	}
	if err := os.WriteFile(filepath.Join(shared, "stop"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "attacker report", func() bool { _, err := os.Stat(filepath.Join(shared, "report")); return err == nil })
	report, err := os.ReadFile(filepath.Join(shared, "report"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("attacker report:\n%s", report)
	assertUnchanged(t, bin, before)
	if !caught() {
		t.Fatal("the attacker never caught a mydocker process: the test did not exercise the attack")
	}
	for _, l := range strings.Split(strings.TrimSpace(string(report)), "\n") {
		if strings.HasPrefix(l, "wrote") || (strings.HasPrefix(l, "caught") && strings.HasSuffix(l, "err=<nil>")) {
			t.Errorf("a write to mydocker's executable succeeded: %s", l)
		}
	}
}

// The same through run: the container's pid 1 is mydocker itself (its
// command is a "#!/proc/self/exe load" script: mydocker, reading an image
// from stdin, for as long as the test holds stdin open), and an exec'd
// process looks at /proc/1/exe: it must be a file on a read-only mount
// (or a sealed copy) that refuses every write.
func TestRunInitCannotOverwriteBinary(t *testing.T) {
	e := newEnv(t)
	bin, before := copyBinary(t)
	shared := t.TempDir()
	installHelper(t, "attacker", shared)
	if err := os.WriteFile(filepath.Join(shared, "evil"), []byte("#!/proc/self/exe load\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	name := "cve-run-" + strconv.Itoa(os.Getpid())
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer inW.Close()
	run := e.with(ctx, bin, "run", "-i", "--name", name, "-v", shared+":/shared", "busybox", "/shared/evil")
	run.Stdin = inR
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	inR.Close()
	waitFor(t, "container running", func() bool { return e.running(name) })
	out, err := e.with(ctx, bin, "exec", name, "/shared/attacker", "probe-pid1").CombinedOutput()
	inW.Close()
	run.Wait() //nolint:errcheck // pid 1 fails on the end of its "image"
	if err != nil {
		t.Fatalf("probe: %v %s", err, out)
	}
	got := strings.TrimSpace(string(out))
	if !strings.HasPrefix(got, "refused rdonly=1 ") && !strings.Contains(got, "memfd:mydocker") {
		t.Errorf("/proc/1/exe of a mydocker pid 1 is writable or on a writable mount: %q", got)
	}
	assertUnchanged(t, bin, before)
}

// The same for run -i: the container's pid 1 must not hold the caller's
// stdin, which every process of the container could reopen through
// /proc/1/fd/0, for writing, and keep after the run.
func TestRunStdinIsNotHostFile(t *testing.T) {
	assertStdinNotWritable(t, newEnv(t), "/proc/1/fd/0", "run", "--rm", "-i", "busybox")
}

// With the command's output relayed through pipes, a process it leaves in
// the background holds them open: exec still returns once the command
// has exited and its output has gone quiet, as Docker's does.
func TestExecReturnsDespiteBackgroundOutput(t *testing.T) {
	e := newEnv(t)
	name := "bg-" + strconv.Itoa(os.Getpid())
	e.ok("run", "-d", "--name", name, "busybox", "sleep", "1000")
	if got := e.run(3, "exec", name, "sh", "-c", "echo start; sleep 1000 & echo bg; exit 3").stdout; got != "start\nbg\n" {
		t.Fatalf("exec printed %q", got)
	}
}
