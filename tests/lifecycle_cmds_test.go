package tests

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// missing runs mydocker on a container that does not exist, expecting
// Docker's answer: exit 1, one line naming it.
func (e *env) missing(args ...string) {
	e.t.Helper()
	r := e.run(1, args...)
	if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "no such container: nosuch") || r.stdout != "" {
		e.t.Fatalf("mydocker %q: stdout %q stderr %q", args, r.stdout, r.stderr)
	}
}

// fails runs mydocker expecting it to refuse with exit 125 and one line on
// stderr, and returns that line.
func (e *env) fails(args ...string) string {
	e.t.Helper()
	r := e.run(125, args...)
	line := strings.TrimSpace(r.stderr)
	if line == "" || strings.Contains(line, "\n") {
		e.t.Fatalf("mydocker %q: stderr should be one line, got %q", args, r.stderr)
	}
	return line
}

// statusOf is a container's State.Status as inspect shows it.
func (e *env) statusOf(ref string) string {
	e.t.Helper()
	return e.state(ref)["Status"].(string)
}

// pidOf is a running container's State.Pid.
func (e *env) pidOf(ref string) int {
	e.t.Helper()
	return int(e.state(ref)["Pid"].(float64))
}

// waitCmd starts `mydocker wait refs...` in the background; its output
// is read with finish.
type waitCmd struct {
	cmd      *exec.Cmd
	out, err bytes.Buffer
	done     chan struct{}
}

func (e *env) startWait(refs ...string) *waitCmd {
	e.t.Helper()
	w := &waitCmd{cmd: exec.Command(binary, append([]string{"wait"}, refs...)...), done: make(chan struct{})}
	w.cmd.Env = append(os.Environ(), "MYDOCKER_ROOT="+e.root)
	w.cmd.Stdout, w.cmd.Stderr = &w.out, &w.err
	if err := w.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() { w.cmd.Wait(); close(w.done) }()
	e.t.Cleanup(func() {
		select {
		case <-w.done:
		default:
			w.cmd.Process.Kill()
			<-w.done
		}
	})
	// Started means watching: a waiter that has not yet found the
	// container (its name resolved, its record watched) when it is removed
	// rightly says no such container, which is not what the tests ask.
	waitFor(e.t, "wait to watch a record", func() bool { return !w.running() || watchesInotify(w.cmd.Process.Pid) })
	return w
}

// watchesInotify says whether process pid holds an inotify descriptor
// with a watch on it, as its fdinfo lists them: wait sleeps on one
// watching the record (container/wait.go).
func watchesInotify(pid int) bool {
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); l != "anon_inode:inotify" {
			continue
		}
		info, _ := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%s", pid, fd.Name()))
		if bytes.Contains(info, []byte("inotify wd:")) {
			return true
		}
	}
	return false
}

// finish waits for the waiter (a minute at most: a waiter that never
// wakes fails the test) and returns its stdout.
func (w *waitCmd) finish(t *testing.T) string {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(60 * time.Second):
		w.cmd.Process.Kill()
		<-w.done
		t.Fatalf("wait never returned; stdout %q stderr %q", w.out.String(), w.err.String())
	}
	if code := w.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("wait exited %d: %s", code, w.err.String())
	}
	return w.out.String()
}

func (w *waitCmd) running() bool {
	select {
	case <-w.done:
		return false
	default:
		return true
	}
}

// create holds nothing on the host until start: no mount, cgroup or
// network; start runs it; start -a gives its output and exit code.
func TestCreateStartAttach(t *testing.T) {
	e := newEnv(t)
	id := e.ok("create", "--name", "made", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
	if len(id) != 64 {
		t.Fatalf("create printed %q, want only the ID", id)
	}
	if got := e.statusOf("made"); got != "created" {
		t.Fatalf("status after create %q, want created", got)
	}
	if !strings.Contains(e.ok("ps", "-a"), "made") {
		t.Fatal("ps -a does not list the created container")
	}
	if m := mountsUnder(t, e.root); len(m) > 0 {
		t.Fatalf("created container has mounts: %v", m)
	}
	assertNoCgroup(t, id)
	if _, err := os.Stat(filepath.Join(e.root, "containers", id, "container.log")); err == nil {
		t.Fatal("created container has a log")
	}

	r := e.run(3, "start", "-a", "made")
	if r.stdout != "out\n" || r.stderr != "err\n" {
		t.Fatalf("start -a: stdout %q stderr %q", r.stdout, r.stderr)
	}
	if st := e.state("made"); st["Status"] != "exited" || st["ExitCode"] != float64(3) {
		t.Fatalf("after start -a: %v", st)
	}
	assertNoCgroup(t, id)
	// Started again detached, it keeps its record and exits the same way.
	if got := e.ok("start", "made"); got != "made" {
		t.Fatalf("start printed %q", got)
	}
	if got := e.ok("wait", "made"); got != "3" {
		t.Fatalf("wait printed %q, want 3", got)
	}

	// -i passes stdin to a container created with -i.
	e.ok("create", "-i", "--name", "cat", "busybox", "cat")
	if r := e.runIn([]byte("through stdin\n"), 0, "start", "-a", "-i", "cat"); r.stdout != "through stdin\n" {
		t.Fatalf("start -a -i: stdout %q", r.stdout)
	}

	// Refusals: one line, exit 125, nothing made.
	e.fails("start", "-a", "made", "cat")
	e.missing("start", "-a", "nosuch")
	e.run(0, "rm", "made", "cat")
	e.fails("create")
	e.fails("create", "--name", "bad/name", "busybox", "true")
	e.fails("create", "--pull", "never", "nosuchimage")
	e.fails("create", "--memory", "lots", "busybox", "true")
	e.fails("create", "--bogus", "busybox", "true")
	e.assertNothingLeft()

	// start -a of a running container is refused; it keeps running.
	e.ok("run", "-d", "--name", "up", "busybox", "sleep", "1000")
	e.fails("start", "-a", "up")
	if got := e.statusOf("up"); got != "running" {
		t.Fatalf("status %q after a refused start -a", got)
	}
}

// wait prints the exit code of a container that already exited, of one
// that exits later (to many waiters at once), of one created and not yet
// started, and of one whose monitor was SIGKILLed, which writes nothing.
func TestWaitExitCodes(t *testing.T) {
	e := newEnv(t)
	e.run(5, "run", "--name", "done", "busybox", "sh", "-c", "exit 5")
	if got := e.ok("wait", "done"); got != "5" {
		t.Fatalf("wait on an exited container printed %q", got)
	}

	e.ok("run", "-d", "--name", "later", "busybox", "sh", "-c", "while [ ! -e /go ]; do sleep 0.05; done; exit 7")
	var waiters []*waitCmd
	for i := 0; i < 4; i++ {
		waiters = append(waiters, e.startWait("later"))
	}
	both := e.startWait("done", "later")
	// Still running after an exec round trip: the waiters must still wait.
	if r, _ := e.exec(nil, "exec", "later", "true"); r.code != 0 {
		t.Fatalf("exec: %v; inspect %v; logs %q", r, e.state("later"), e.ok("logs", "later"))
	}
	for _, w := range append(waiters, both) {
		if !w.running() {
			t.Fatalf("wait returned while the container ran: %q %q", w.out.String(), w.err.String())
		}
	}
	e.ok("exec", "later", "touch", "/go")
	for _, w := range waiters {
		if got := w.finish(t); got != "7\n" {
			t.Fatalf("waiter printed %q, want 7", got)
		}
	}
	if got := both.finish(t); got != "5\n7\n" {
		t.Fatalf("wait done later printed %q", got)
	}

	// Created: waits through the start until the exit.
	e.ok("create", "--name", "fresh", "busybox", "sh", "-c", "exit 4")
	w := e.startWait("fresh")
	e.ok("run", "--name", "other", "busybox", "true") // a round trip while fresh is waited for
	if !w.running() {
		t.Fatalf("wait on a created container returned: %q", w.out.String())
	}
	e.ok("start", "fresh")
	if got := w.finish(t); got != "4\n" {
		t.Fatalf("wait on created then started printed %q", got)
	}

	// The monitor killed: nothing records the exit, the container dies
	// with it (137), and the waiter must still wake.
	e.ok("run", "-d", "--name", "orphan", "busybox", "sleep", "1000")
	w = e.startWait("orphan")
	mon := int(e.record(e.resolveID("orphan"))["State"].(map[string]any)["MonitorPid"].(float64))
	e.ok("exec", "orphan", "true")
	if !w.running() {
		t.Fatal("wait returned before the monitor was killed")
	}
	if err := unix.Kill(mon, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if got := w.finish(t); got != "137\n" {
		t.Fatalf("wait after the monitor was killed printed %q", got)
	}

	// --rm: removed as soon as it exits, its code still reaches the waiter.
	e.ok("run", "-d", "--rm", "--name", "gone", "busybox", "sh", "-c", "while [ ! -e /go ]; do sleep 0.05; done; exit 6")
	w = e.startWait("gone")
	e.ok("exec", "gone", "true")
	if !w.running() {
		t.Fatal("wait on a --rm container returned before it exited")
	}
	// The waiter is stopped until the container is gone, record and all,
	// so it cannot read the exit from the record.
	if err := w.cmd.Process.Signal(unix.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	e.ok("exec", "gone", "touch", "/go")
	waitFor(t, "--rm container removed", func() bool { return len(e.containerIDs()) == 5 })
	if err := w.cmd.Process.Signal(unix.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if got := w.finish(t); got != "6\n" {
		t.Fatalf("wait on a --rm container printed %q", got)
	}

	e.fails("wait")
	e.missing("wait", "nosuch")
	// Going on past a missing container, as Docker: its code for the rest.
	r := e.run(1, "wait", "nosuch", "done")
	if r.stdout != "5\n" {
		t.Fatalf("wait nosuch done printed %q", r.stdout)
	}
}

// resolveID is the full ID of a container reference.
func (e *env) resolveID(ref string) string {
	e.t.Helper()
	return e.inspect(ref)["Id"].(string)
}

// kill sends SIGKILL by default and the signal asked for by name or
// number; wait and inspect report 128+N when the signal ends it.
func TestKillSignals(t *testing.T) {
	e := newEnv(t)
	for i, sig := range []string{"", "KILL", "SIGKILL", "9", "kill"} {
		name := fmt.Sprintf("k%d", i)
		e.ok("run", "-d", "--name", name, "busybox", "sleep", "1000")
		args := []string{"kill"}
		if sig != "" {
			args = append(args, "-s", sig)
		}
		if got := e.ok(append(args, name)...); got != name {
			t.Fatalf("kill printed %q", got)
		}
		if got := e.ok("wait", name); got != "137" {
			t.Fatalf("kill -s %q: wait printed %q, want 137", sig, got)
		}
		if st := e.state(name); st["ExitCode"] != float64(137) || st["Status"] != "exited" {
			t.Fatalf("kill -s %q: state %v", sig, st)
		}
	}
	// A signal the container's pid 1 handles: it decides how it exits.
	e.ok("run", "-d", "--name", "trap", "busybox", "sh", "-c", `trap 'echo got usr1; exit 5' USR1; touch /ready; while :; do sleep 0.05; done`)
	waitFor(t, "trap set", func() bool { r, _ := e.exec(nil, "exec", "trap", "test", "-e", "/ready"); return r.code == 0 })
	e.ok("kill", "--signal", "SIGUSR1", "trap")
	if got := e.ok("wait", "trap"); got != "5" {
		t.Fatalf("USR1 trap: wait printed %q", got)
	}
	if !strings.Contains(e.ok("logs", "trap"), "got usr1") {
		t.Fatal("the trap did not run")
	}

	// A paused container: SIGKILL goes through (thawed after), others
	// are refused and it stays paused.
	e.ok("run", "-d", "--name", "frozen", "busybox", "sleep", "1000")
	e.ok("pause", "frozen")
	e.fails("kill", "-s", "TERM", "frozen")
	if st := e.state("frozen"); st["Status"] != "paused" {
		t.Fatalf("after a refused kill: %v", st)
	}
	e.ok("kill", "frozen")
	if got := e.ok("wait", "frozen"); got != "137" {
		t.Fatalf("paused then killed: wait printed %q", got)
	}

	// Refusals: bad signals leave it running; stopped and missing
	// containers are errors.
	e.ok("run", "-d", "--name", "alive", "busybox", "sleep", "1000")
	for _, bad := range []string{"FOO", "0", "65", "-1", "SIG", ""} {
		e.fails("kill", "-s", bad, "alive")
	}
	if got := e.statusOf("alive"); got != "running" {
		t.Fatalf("status %q after refused kills", got)
	}
	e.fails("kill", "k0")
	e.missing("kill", "nosuch")
	e.fails("kill")
}

// restart stops a container (stop's signal, then SIGKILL after -t) and
// starts it again with its writable layer; a stopped one is just started.
func TestRestart(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "r", "busybox", "sh", "-c", "echo started >> /count; exec sleep 1000")
	first := e.pidOf("r")
	if got := e.ok("restart", "-t", "1", "r"); got != "r" {
		t.Fatalf("restart printed %q", got)
	}
	if st := e.state("r"); st["Status"] != "running" || int(st["Pid"].(float64)) == first {
		t.Fatalf("after restart: %v (first pid %d)", st, first)
	}
	if got := e.ok("exec", "r", "cat", "/count"); got != "started\nstarted" {
		t.Fatalf("/count after restart %q: the writable layer was not kept", got)
	}
	e.ok("stop", "-t", "0", "r")
	e.ok("restart", "r")
	if got := e.statusOf("r"); got != "running" {
		t.Fatalf("restart of a stopped container: %s", got)
	}
	e.ok("create", "--name", "c", "busybox", "sleep", "1000")
	e.ok("restart", "c")
	if got := e.statusOf("c"); got != "running" {
		t.Fatalf("restart of a created container: %s", got)
	}
	e.missing("restart", "nosuch")
	e.fails("restart", "-t", "-1", "r")
	e.fails("restart")
}

// rename follows run --name's rules: valid names, unique, even between
// parallel renames; the old name is free afterwards.
func TestRename(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "--name", "a", "busybox", "sleep", "1000")
	e.ok("rename", "a", "b")
	if got := e.resolveID("b"); got != id {
		t.Fatalf("b resolves to %s, want %s", got, id)
	}
	if e.inspect("b")["Name"] != "/b" {
		t.Fatalf("inspect Name %v", e.inspect("b")["Name"])
	}
	// The old name no longer names it (inspect "a" could still match an
	// ID starting with a).
	if got := e.ok("ps", "-aq", "--filter", "name=^/?a$"); got != "" {
		t.Fatalf("the old name still lists %q", got)
	}
	// The old name is free for another container.
	e.ok("run", "-d", "--name", "a", "busybox", "sleep", "1000")

	e.fails("rename", "a", "b")    // taken
	e.fails("rename", "b", "b")    // the same
	e.fails("rename", "b", "x/y")  // invalid
	e.fails("rename", "b", "-bad") // invalid
	e.missing("rename", "nosuch", "z")
	e.fails("rename", "b")
	if e.resolveID("b") != id || e.inspect("a")["Name"] != "/a" {
		t.Fatal("a refused rename changed a name")
	}

	// Two containers renamed to one name at once: exactly one wins.
	e.ok("run", "-d", "--name", "p", "busybox", "sleep", "1000")
	e.ok("run", "-d", "--name", "q", "busybox", "sleep", "1000")
	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i, ref := range []string{"p", "q"} {
		wg.Add(1)
		go func(i int, ref string) {
			defer wg.Done()
			r, err := e.exec(nil, "rename", ref, "prize")
			if err != nil {
				t.Error(err)
			}
			codes[i] = r.code
		}(i, ref)
	}
	wg.Wait()
	if codes[0]+codes[1] != 125 || codes[0]*codes[1] != 0 {
		t.Fatalf("parallel renames exited %v, want one 0 and one 125", codes)
	}
	// Removing the renamed container frees its new name.
	e.ok("rm", "-f", "b")
	e.ok("run", "-d", "--name", "b", "busybox", "sleep", "1000")
}

// top lists the container's processes as the host's ps sees them, in
// Docker's columns, and nothing of the host.
func TestTop(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "t", "busybox", "sh", "-c", "sleep 1000 & exec sleep 2000")
	pid := e.pidOf("t")
	out := e.ok("top", "t")
	lines := strings.Split(out, "\n")
	if got := strings.Join(strings.Fields(lines[0]), " "); got != "UID PID PPID C STIME TTY TIME CMD" {
		t.Fatalf("top header %q", lines[0])
	}
	if len(lines) != 3 {
		t.Fatalf("top shows %d processes, want 2:\n%s", len(lines)-1, out)
	}
	var pids []int
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		n, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatalf("top line %q", l)
		}
		pids = append(pids, n)
		if !strings.Contains(l, "sleep") || n == os.Getpid() {
			t.Fatalf("top line %q is not the container's", l)
		}
	}
	if pids[0] != pid && pids[1] != pid {
		t.Fatalf("top pids %v lack pid 1's %d", pids, pid)
	}
	// ps options as given.
	out = e.ok("top", "t", "-o", "pid,comm")
	if !strings.HasPrefix(out, "PID") || !strings.Contains(out, fmt.Sprintf("%d sleep", pid)) {
		t.Fatalf("top -o pid,comm:\n%s", out)
	}
	e.fails("top", "t", "-o", "comm") // no PID column
	e.fails("top", "t", "--no-such-ps-option")
	e.missing("top", "nosuch")
	e.fails("top")
	e.ok("stop", "-t", "0", "t")
	e.fails("top", "t")
}

// logs -t prints each line's time; --since and --until keep the lines of
// a window, given as RFC 3339, Unix times or durations.
func TestLogsTimestampsWindow(t *testing.T) {
	e := newEnv(t)
	before := time.Now()
	e.ok("run", "-d", "--name", "l", "busybox", "sh", "-c", "echo one; while [ ! -e /go ]; do sleep 0.05; done; echo two; exec sleep 1000")
	waitFor(t, "first line", func() bool { return e.ok("logs", "l") == "one" })
	mid := time.Now()
	e.ok("exec", "l", "touch", "/go")
	waitFor(t, "second line", func() bool { return e.ok("logs", "l") == "one\ntwo" })
	after := time.Now()

	stamped := regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (one|two)$`)
	lines := strings.Split(e.ok("logs", "-t", "l"), "\n")
	if len(lines) != 2 {
		t.Fatalf("logs -t: %q", lines)
	}
	for i, l := range lines {
		m := stamped.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("logs -t line %q", l)
		}
		ts, err := time.Parse(time.RFC3339Nano, m[1])
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := before, mid
		if i == 1 {
			lo, hi = mid, after
		}
		if ts.Before(lo) || ts.After(hi) {
			t.Fatalf("line %q stamped outside [%v, %v]", l, lo, hi)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--since", mid.Format(time.RFC3339Nano)}, "two"},
		{[]string{"--until", mid.Format(time.RFC3339Nano)}, "one"},
		{[]string{"--since", fmt.Sprintf("%d.%09d", mid.Unix(), mid.Nanosecond())}, "two"},
		{[]string{"--until", fmt.Sprintf("%d.%09d", mid.Unix(), mid.Nanosecond())}, "one"},
		{[]string{"--since", "1h"}, "one\ntwo"},
		{[]string{"--until", "1h"}, ""},
		{[]string{"--since", "1h", "--until", mid.Format(time.RFC3339Nano)}, "one"},
		{[]string{"--since", before.Add(-time.Hour).UTC().Format("2006-01-02T15:04:05Z")}, "one\ntwo"},
		{[]string{"--since", mid.Format(time.RFC3339Nano), "--tail", "1"}, "two"},
		{[]string{"--since", mid.Format(time.RFC3339Nano), "-f"}, "two"},
	} {
		if tc.args[len(tc.args)-1] == "-f" {
			// Follows until the container exits.
			go func() {
				time.Sleep(200 * time.Millisecond)
				e.exec(nil, "kill", "l")
			}()
		}
		if got := e.ok(append(append([]string{"logs"}, tc.args...), "l")...); got != tc.want {
			t.Errorf("logs %q: %q, want %q", tc.args, got, tc.want)
		}
	}
	for _, bad := range [][]string{{"--since", "yesterday"}, {"--until", "10x"}, {"--since", ""}, {"--until", "2024-13-01"}} {
		e.fails(append(append([]string{"logs"}, bad...), "l")...)
	}
}

// diff lists the writable layer's changes: A added, C changed, D deleted
// (whiteouts); an untouched container has none, the /etc files mounted
// by the runtime included.
func TestDiff(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "--name", "clean", "busybox", "true")
	if got := e.ok("diff", "clean"); got != "" {
		t.Fatalf("diff of an untouched container:\n%s", got)
	}
	e.ok("run", "--name", "d", "busybox", "sh", "-c",
		"touch /tmp/new; rm /bin/ls; mkdir -p /added/sub; echo x > /added/sub/f; echo more >> /etc/passwd; rm -r /var/www; ln -s /etc /link")
	want := strings.Join([]string{
		"A /added", "A /added/sub", "A /added/sub/f",
		"C /bin", "D /bin/ls",
		"C /etc", "C /etc/passwd",
		"A /link",
		"C /tmp", "A /tmp/new",
		"C /var", "D /var/www",
	}, "\n")
	if got := e.ok("diff", "d"); got != want {
		t.Fatalf("diff:\n%s\nwant:\n%s", got, want)
	}
	e.ok("create", "--name", "new", "busybox", "true")
	if got := e.ok("diff", "new"); got != "" {
		t.Fatalf("diff of a created container: %q", got)
	}
	e.missing("diff", "nosuch")
	e.fails("diff")
	e.fails("diff", "d", "clean")
}

// diff with podman as the oracle: the same changes made in the same image
// give the same lines.
func TestDiffLikePodman(t *testing.T) {
	e := newEnv(t)
	p := newPodman(t)
	img := "localhost/mydocker-diff:" + randHex(4)
	p.run("import", busyboxTar(t), img)
	script := "touch /tmp/new; rm /bin/ls; mkdir -p /added/sub; echo x > /added/sub/f; echo more >> /etc/passwd"
	name := "mydocker-diff-" + randHex(4)
	p.run("run", "--name", name, "--network", "none", "--cgroup-parent", p.cgroupParent, img, "sh", "-c", script)
	theirs := strings.TrimSpace(p.run("diff", name))
	p.run("rm", name)
	e.ok("run", "--name", "d", "busybox", "sh", "-c", script)
	ours := e.ok("diff", "d")
	if ours != theirs {
		t.Fatalf("diff differs from podman's:\nours:\n%s\npodman's:\n%s", ours, theirs)
	}
}

// container prune removes every stopped container (created or exited),
// never a running one, and says what it removed.
func TestContainerPrune(t *testing.T) {
	e := newEnv(t)
	created := e.ok("create", "busybox", "true")
	exited := e.ok("run", "-d", "busybox", "sh", "-c", "echo data > /file")
	e.ok("wait", exited)
	running := e.ok("run", "-d", "busybox", "sleep", "1000")

	// Asked and not confirmed: nothing goes.
	r := e.runIn([]byte("n\n"), 0, "container", "prune")
	if !strings.Contains(r.stderr, "Are you sure") || len(e.containerIDs()) != 3 {
		t.Fatalf("unconfirmed prune: stderr %q, %d containers", r.stderr, len(e.containerIDs()))
	}
	out := e.ok("container", "prune", "-f")
	lines := strings.Split(out, "\n")
	if lines[0] != "Deleted Containers:" || len(lines) != 5 || lines[3] != "" || !strings.HasPrefix(lines[4], "Total reclaimed space: ") {
		t.Fatalf("prune output:\n%s", out)
	}
	got := map[string]bool{lines[1]: true, lines[2]: true}
	if !got[created] || !got[exited] {
		t.Fatalf("prune removed %v, want %s and %s", lines[1:3], created, exited)
	}
	if ids := e.containerIDs(); len(ids) != 1 || ids[0] != running {
		t.Fatalf("containers left %v, want only the running %s", ids, running)
	}
	for _, id := range []string{created, exited} {
		if _, err := os.Stat(filepath.Join(e.root, "overlay2", id)); !os.IsNotExist(err) {
			t.Fatalf("workspace of %s left: %v", id, err)
		}
	}
	// Confirmed with y; nothing to remove.
	if r := e.runIn([]byte("y\n"), 0, "container", "prune"); strings.TrimSpace(r.stdout) != "Total reclaimed space: 0B" {
		t.Fatalf("prune with nothing stopped: %q", r.stdout)
	}
	e.fails("container", "prune", "extra")
	e.fails("container", "prune", "--bogus")
}

// danglingImage commits container src and makes the commit a dangling
// image (one without a name): saved, removed and loaded again from an
// archive whose manifest names no tag. It returns the image ID.
func (e *env) danglingImage(src string) string {
	e.t.Helper()
	tag := "tmp-" + randHex(4) + ":1"
	id := e.ok("commit", src, tag)
	dir := e.t.TempDir()
	saved, nameless := filepath.Join(dir, "saved.tar"), filepath.Join(dir, "nameless.tar")
	e.ok("save", "-o", saved, tag)
	in, err := os.Open(saved)
	if err != nil {
		e.t.Fatal(err)
	}
	defer in.Close()
	var buf bytes.Buffer
	tr, tw := tar.NewReader(in), tar.NewWriter(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			e.t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			e.t.Fatal(err)
		}
		if h.Name == "manifest.json" {
			var m []map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				e.t.Fatal(err)
			}
			m[0]["RepoTags"] = nil
			if data, err = json.Marshal(m); err != nil {
				e.t.Fatal(err)
			}
			h.Size = int64(len(data))
		}
		if err := tw.WriteHeader(h); err != nil {
			e.t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(nameless, buf.Bytes(), 0o600); err != nil {
		e.t.Fatal(err)
	}
	e.ok("rmi", tag)
	e.ok("load", "-i", nameless)
	return id
}

// image prune removes dangling images, or with -a every image no
// container uses, never one a container uses.
func TestImagePrune(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "--name", "src", "busybox", "sh", "-c", "echo 1 > /v")
	e.ok("run", "--name", "src2", "busybox", "sh", "-c", "echo 2 > /v")
	unused := e.danglingImage("src")
	used := e.danglingImage("src2")
	e.ok("create", "--name", "user", used, "cat", "/v")
	named := e.ok("commit", "src", "keep:1")

	images := func() string { return e.ok("images", "-q", "--no-trunc") }
	has := func(list, id string) bool { return strings.Contains(list, id) }
	if list := images(); !has(list, unused) || !has(list, used) || len(strings.Fields(list)) != 4 {
		t.Fatalf("before image prune: %s", list)
	}
	out := e.ok("image", "prune", "-f")
	if !strings.HasPrefix(out, "Deleted Images:\ndeleted: "+unused+"\n\nTotal reclaimed space: ") || strings.Count(out, "\n") != 3 {
		t.Fatalf("image prune output:\n%s\nwant only %s deleted", out, unused)
	}
	if list := images(); has(list, unused) || !has(list, used) || !has(list, named) || len(strings.Fields(list)) != 3 {
		t.Fatalf("after image prune: %s", list)
	}
	// -a: every image no container uses, named or not: keep:1 goes;
	// busybox and the dangling one stay, as containers use them.
	out = e.ok("image", "prune", "-af")
	if !strings.Contains(out, "untagged: keep:1\ndeleted: "+named+"\n") {
		t.Fatalf("image prune -a output:\n%s", out)
	}
	if list := images(); !has(list, used) || has(list, named) || len(strings.Fields(list)) != 2 || !strings.Contains(e.ok("images"), "busybox") {
		t.Fatalf("after image prune -a: %s\n%s", list, e.ok("images"))
	}
	if r := e.run(0, "start", "-a", "user"); r.stdout != "2\n" {
		t.Fatalf("the container of a kept dangling image printed %q", r.stdout)
	}
	// Once nothing uses them, -a removes them all.
	e.ok("container", "prune", "-f")
	e.ok("image", "prune", "-a", "-f")
	if got := images(); got != "" {
		t.Fatalf("images left after prune -a with no containers: %q", got)
	}
	e.fails("image", "prune", "extra")
}

// system df counts images, containers and their sizes in Docker's table.
func TestSystemDf(t *testing.T) {
	e := newEnv(t)
	rows := func() map[string][]string {
		out := e.ok("system", "df")
		lines := strings.Split(out, "\n")
		if got := strings.Join(strings.Fields(lines[0]), " "); got != "TYPE TOTAL ACTIVE SIZE RECLAIMABLE" {
			t.Fatalf("system df header %q", lines[0])
		}
		m := map[string][]string{}
		for _, l := range lines[1:] {
			f := strings.Fields(l)
			if strings.HasPrefix(l, "Local Volumes") {
				m["Local Volumes"] = f[2:]
			} else {
				m[f[0]] = f[1:]
			}
		}
		return m
	}
	r := rows()
	if got := r["Images"]; len(got) != 5 || got[0] != "1" || got[1] != "0" || got[2] == "0B" || got[4] != "(100%)" {
		t.Fatalf("Images row with no containers: %v", got)
	}
	if got := r["Containers"]; strings.Join(got, " ") != "0 0 0B 0B (0%)" {
		t.Fatalf("Containers row with none: %v", got)
	}
	if _, ok := r["Local Volumes"]; !ok {
		t.Fatal("no Local Volumes row")
	}
	e.ok("run", "-d", "--name", "big", "busybox", "sh", "-c", "head -c 300000 /dev/zero > /fill; exec sleep 1000")
	waitFor(t, "file written", func() bool {
		r, _ := e.exec(nil, "exec", "big", "sh", "-c", "[ $(wc -c < /fill) = 300000 ]")
		return r.code == 0
	})
	r = rows()
	if got := r["Images"]; got[0] != "1" || got[1] != "1" || got[3] != "0B" {
		t.Fatalf("Images row with a container: %v", got)
	}
	if got := r["Containers"]; got[0] != "1" || got[1] != "1" || !strings.HasPrefix(got[2], "300") || got[3] != "0B" {
		t.Fatalf("Containers row with one running: %v", got)
	}
	e.ok("stop", "-t", "0", "big")
	if got := rows()["Containers"]; got[1] != "0" || got[2] != got[3] || got[4] != "(100%)" {
		t.Fatalf("Containers row with one stopped: %v", got)
	}
	e.fails("system", "df", "extra")
}

// lockedBuffer is a bytes.Buffer a test reads while a command writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// events reads the journal every command appends to: a window of the
// past, filtered and formatted, and, followed, events as they happen,
// even when the journal did not exist yet.
func TestEvents(t *testing.T) {
	e := newEnv(t)
	// Followed from before the first event: the journal does not exist yet.
	follow := exec.Command(binary, "events", "--since", "1h", "--filter", "event=die", "--format", "{{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}")
	follow.Env = append(os.Environ(), "MYDOCKER_ROOT="+e.root)
	var followed lockedBuffer
	follow.Stdout = &followed
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		follow.Process.Kill()
		follow.Wait()
	}()

	t0 := time.Now()
	id := e.ok("create", "--name", "ev", "busybox", "sleep", "1000")
	e.ok("start", "ev")
	e.ok("kill", "ev")
	e.ok("wait", "ev")
	e.ok("rename", "ev", "ev2")
	e.ok("rm", "ev2")
	e.run(3, "run", "--rm", "--name", "other", "busybox", "sh", "-c", "exit 3")
	t1 := time.Now()
	window := []string{"--since", t0.Format(time.RFC3339Nano), "--until", t1.Format(time.RFC3339Nano)}

	if got := e.ok(append([]string{"events", "--filter", "container=" + id, "--format", "{{.Action}}"}, window...)...); got != "create\nstart\nkill\ndie\nrename\ndestroy" {
		t.Fatalf("events of ev:\n%s", got)
	}
	if got := e.ok(append([]string{"events", "--filter", "event=die", "--format", "{{.Actor.Attributes.exitCode}}"}, window...)...); got != "137\n3" {
		t.Fatalf("die events' exit codes: %q", got)
	}
	if got := e.ok(append([]string{"events", "-f", "event=create", "-f", "event=destroy", "-f", "container=other", "--format", "{{.Action}}"}, window...)...); got != "create\ndestroy" {
		t.Fatalf("two filters of one key: %q", got)
	}
	lines := strings.Split(e.ok(append([]string{"events", "--filter", "container=ev2"}, window...)...), "\n")
	line := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z container (rename|destroy) ` + id + ` \(image=busybox, name=ev2(, oldName=ev)?\)$`)
	if len(lines) != 2 || !line.MatchString(lines[0]) || !line.MatchString(lines[1]) {
		t.Fatalf("Docker's event lines:\n%s", strings.Join(lines, "\n"))
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(strings.Split(e.ok(append([]string{"events", "--format", "json"}, window...)...), "\n")[0]), &ev); err != nil {
		t.Fatal(err)
	}
	if ev["Type"] != "container" || ev["Action"] != "create" || ev["id"] != id || ev["Actor"].(map[string]any)["ID"] != id {
		t.Fatalf("events --format json: %v", ev)
	}
	// Nothing before --since; a window in the past ends at once.
	if got := e.ok("events", "--since", t1.Format(time.RFC3339Nano), "--until", time.Now().Format(time.RFC3339Nano)); got != "" {
		t.Fatalf("events after the last: %q", got)
	}

	waitFor(t, "followed die events", func() bool { return followed.String() == "ev 137\nother 3\n" })

	for _, bad := range [][]string{{"--filter", "bogus=1"}, {"--filter", "event"}, {"--since", "yesterday"}, {"--until", "10x"}, {"--format", "{{"}, {"extra"}} {
		e.fails(append([]string{"events"}, bad...)...)
	}
}

// Parallel commands append whole lines to the journal: each one parses.
func TestEventsParallelWriters(t *testing.T) {
	e := newEnv(t)
	const n = 6
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r, err := e.exec(nil, "run", "--rm", "busybox", "true"); err != nil || r.code != 0 {
				t.Errorf("run: %v %v", r, err)
			}
		}()
	}
	wg.Wait()
	data, err := os.ReadFile(filepath.Join(e.root, "events.log"))
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var ev struct{ Action string }
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("journal line %q: %v", l, err)
		}
		count[ev.Action]++
	}
	for _, a := range []string{"create", "start", "die", "destroy"} {
		if count[a] != n {
			t.Fatalf("journal has %d %s events, want %d: %v", count[a], a, n, count)
		}
	}
}

// stop of a --rm container succeeds as Docker's: its monitor removes it
// as it exits, which is no failure of the stop. It said "no such
// container" and exited 1, so `docker stop` in scripts broke on --rm.
func TestStopAutoRemoveContainer(t *testing.T) {
	e := newEnv(t)
	for _, tty := range []bool{false, true} {
		args := []string{"run", "-d", "--rm", "--network", "none", "--name", "gone"}
		if tty {
			args = append(args, "-t")
		}
		id := e.ok(append(args, "busybox", "sleep", "100")...)
		if out := e.ok("stop", "-t", "1", "gone"); out != "gone" {
			t.Fatalf("stop printed %q, want the name it was given", out)
		}
		waitFor(t, "the --rm container to be removed", func() bool { return len(e.containerIDs()) == 0 })
		if r := e.run(1, "inspect", id); !strings.Contains(r.stderr, "no such") {
			t.Fatalf("inspect after stop: %q", r.stderr)
		}
	}
}
