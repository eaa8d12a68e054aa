package tests

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// fakeID is a well-formed container ID no real container has.
func fakeID(seed string) string {
	sum := sha256.Sum256([]byte("fake container " + seed))
	return hex.EncodeToString(sum[:])
}

// assertStillRunning checks that container id was not touched: its
// process lives, its rootfs is mounted on the host and its cgroup, in the
// shared mydocker/ parent, exists.
func (e *env) assertStillRunning(id string) {
	e.t.Helper()
	st := e.state(id)
	if st["Status"] != "running" {
		e.t.Fatalf("container %s: status %v", id[:12], st["Status"])
	}
	if err := unix.Kill(int(st["Pid"].(float64)), 0); err != nil {
		e.t.Fatalf("container %s: process gone: %v", id[:12], err)
	}
	merged := filepath.Join(e.root, "overlay2", id, "merged")
	infos, err := mountinfo.GetMounts(mountinfo.SingleEntryFilter(merged))
	if err != nil || len(infos) == 0 || infos[0].FSType != "overlay" {
		e.t.Fatalf("container %s: rootfs no longer mounted: %v %v", id[:12], infos, err)
	}
	for _, sub := range []string{"memory", "pids"} {
		if _, err := os.Stat(cgroupDir(sub, id)); err != nil {
			e.t.Fatalf("container %s: cgroup gone: %v", id[:12], err)
		}
	}
}

// A record that is valid JSON but not its directory's container (null,
// {}, or a copy of another container's record) is reported as corrupt,
// and rm -f of it removes only that directory's own things: never the
// running containers' rootfs mounts, processes or cgroups.
func TestCorruptRecordsAreContained(t *testing.T) {
	e := newEnv(t)
	a := e.ok("run", "-d", "busybox", "sleep", "1000")
	b := e.ok("run", "-d", "busybox", "sleep", "1000")
	stolen, err := os.ReadFile(filepath.Join(e.root, "containers", a, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, content string }{
		{"null", "null"},
		{"empty", "{}"},
		{"other's", string(stolen)}, // says it is a, with a's pid
	} {
		func() {
			fake := fakeID(tc.name)
			dir := filepath.Join(e.root, "containers", fake)
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			r := e.run(0, "ps", "-a")
			warn := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(warn) != 1 || !strings.Contains(warn[0], fake) || !strings.Contains(warn[0], "corrupt") {
				t.Errorf("%s: ps warnings: %q", tc.name, r.stderr)
			}
			if !strings.Contains(r.stdout, a[:12]) || !strings.Contains(r.stdout, b[:12]) || strings.Contains(r.stdout, fake[:12]) {
				t.Errorf("%s: ps output:\n%s", tc.name, r.stdout)
			}
			if got := e.ok("rm", "-f", fake); got != fake {
				t.Fatalf("%s: rm -f printed %q", tc.name, got)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Fatalf("%s: corrupt record dir still there: %v", tc.name, err)
			}
			e.assertStillRunning(a)
			e.assertStillRunning(b)
		}()
	}
}

// commit reads the container's writable layer, not its mounted rootfs:
// a rootfs unmounted behind mydocker's back (by hand, or by a bug) reads
// as an empty directory, and a commit of that would silently be an empty
// image.
func TestCommitOfUnmountedRootfsKeepsFiles(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "busybox", "sh", "-c", "echo kept > /kept; sleep 1000")
	waitFor(t, "the container's file", func() bool {
		_, err := os.Stat(filepath.Join(e.root, "overlay2", id, "upper", "kept"))
		return err == nil
	})
	if err := unix.Unmount(filepath.Join(e.root, "overlay2", id, "merged"), 0); err != nil {
		t.Fatal(err)
	}
	e.ok("commit", id, "hollow")
	if out := e.ok("run", "--rm", "hollow", "cat", "/kept"); out != "kept" {
		t.Fatalf("committed image: %q", out)
	}
}

// Combined short flags work as in Docker.
func TestCombinedShortFlags(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "busybox", "sleep", "1000")
	if got := e.ok("ps", "-aq"); got != id[:12] {
		t.Fatalf("ps -aq: %q", got)
	}
	if got := e.ok("rm", "-f", id); got != id {
		t.Fatalf("rm -f: %q", got)
	}
}

// Parallel rm -f NAME: one removes it and prints NAME; the others print
// NAME too or fail as Docker does, "no such container: NAME", exit 1. None
// prints the ID it resolved the name to.
func TestParallelRmPrintsTheGivenName(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "--name", "contested", "busybox", "sleep", "1000")
	results := make([]result, 8)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i], errs[i] = e.exec(nil, "rm", "-f", "contested")
		}(i)
	}
	wg.Wait()
	winners := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if strings.Contains(r.stdout+r.stderr, id[:12]) {
			t.Errorf("rm -f contested printed the ID: %+v", r)
		}
		switch {
		case r.code == 0 && strings.TrimSpace(r.stdout) == "contested":
			winners++
		case r.code == 1 && r.stdout == "" && strings.TrimSpace(strings.ToLower(r.stderr)) == "mydocker: no such container: contested":
		default:
			t.Errorf("rm -f contested: %+v", r)
		}
	}
	if winners < 1 {
		t.Fatal("no rm -f succeeded")
	}
	e.assertNothingLeft()
}

// tmpfsContainers mounts a tmpfs of size as the containers dir of e, for
// the test only: its cleanup removes the containers first (their records
// live there), then unmounts it.
func (e *env) tmpfsContainers(size string) string {
	e.t.Helper()
	dir := filepath.Join(e.root, "containers")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		e.killContainers()
		if ids := e.containerIDs(); len(ids) > 0 {
			if r, err := e.exec(nil, append([]string{"rm", "-f"}, ids...)...); err != nil || r.code != 0 {
				e.t.Errorf("rm -f on the tmpfs: %v %+v", err, r)
			}
		}
		if err := unix.Unmount(dir, 0); err != nil {
			e.t.Errorf("unmount %s: %v", dir, err)
			unix.Unmount(dir, unix.MNT_DETACH) //nolint:errcheck // last resort, already reported
		}
	})
	return dir
}

// fillDisk writes a file in dir until the file system is full.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, unix.ENOSPC) {
				t.Fatal(err)
			}
			return path
		}
	}
}

// A full disk while run --name claims the name fails the run in one line
// and leaves no claim behind: the name is free again once there is space.
func TestFullDiskNameClaim(t *testing.T) {
	e := newEnv(t)
	dir := e.tmpfsContainers("256k")
	if err := os.Mkdir(filepath.Join(dir, ".names"), 0o700); err != nil {
		t.Fatal(err)
	}
	filler := fillDisk(t, dir)
	r := e.run(125, "run", "--name", "squeezed", "busybox", "true")
	if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 1 || !strings.Contains(r.stderr, "no space left") {
		t.Fatalf("run on a full disk: %q", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, ".names", "squeezed")); !os.IsNotExist(err) {
		t.Fatalf("name claim left behind: %v", err)
	}
	r = e.run(1, "rm", "-f", "squeezed")
	if strings.TrimSpace(r.stderr) != "mydocker: no such container: squeezed" {
		t.Fatalf("rm -f of the failed name: %q", r.stderr)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	e.ok("run", "--name", "squeezed", "busybox", "true")
	e.ok("rm", "squeezed")
}

// countingCmd prints 2000 numbered lines, more than the small tmpfs holds
// beside the records, and exits 7.
var countingCmd = []string{"busybox", "sh", "-c", `i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done; exit 7`}

// A disk filled by a container's own output does not kill the container
// (the log drops what it cannot write, and says so once) and its exit
// code, 7, is still the run's and the record's.
func TestFullDiskLogKeepsContainerRunning(t *testing.T) {
	e := newEnv(t)
	e.tmpfsContainers("160k")

	r := e.run(7, append([]string{"run", "--name", "fg"}, countingCmd...)...)
	if got := strings.Count(r.stdout, "\n"); got != 2000 || !strings.HasSuffix(r.stdout, "line 1999\n") {
		t.Fatalf("foreground output: %d lines, ends %q", got, r.stdout[max(0, len(r.stdout)-40):])
	}
	if n := strings.Count(r.stderr, "could not be written"); n != 1 || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("run stderr: %q", r.stderr)
	}
	if got := strings.Count(e.ok("logs", "fg"), "\n"); got >= 1999 {
		t.Fatalf("the log holds %d lines: the disk never filled", got+1)
	}
	if code := e.state("fg")["ExitCode"].(float64); code != 7 {
		t.Fatalf("fg ExitCode %v", code)
	}
	e.ok("rm", "fg")

	id := e.ok(append([]string{"run", "-d", "--name", "bg"}, countingCmd...)...)
	e.waitRecorded(id)
	if code := e.state(id)["ExitCode"].(float64); code != 7 {
		t.Fatalf("bg ExitCode %v", code)
	}
	if got := strings.Count(e.ok("logs", id), "\n"); got >= 1999 {
		t.Fatalf("the log holds %d lines: the disk never filled", got+1)
	}
	mon, err := os.ReadFile(filepath.Join(e.root, "containers", id, "monitor.log"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(mon), "could not be written"); n != 1 {
		t.Fatalf("monitor log: %q", mon)
	}
	e.ok("rm", id)

	// --rm keeps no reserve (its exit is never written to its record,
	// which goes at once): it exits 7 all the same, and leaves nothing.
	r = e.run(7, append([]string{"run", "--rm"}, countingCmd...)...)
	if got := strings.Count(r.stdout, "\n"); got != 2000 {
		t.Fatalf("--rm output: %d lines", got)
	}
	if out := e.ok("ps", "-aq"); out != "" {
		t.Fatalf("--rm container left: %q", out)
	}
	entries, err := os.ReadDir(filepath.Join(e.root, "containers"))
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if !strings.HasPrefix(en.Name(), ".") {
			t.Errorf("left in containers/: %s", en.Name())
		}
	}
}

// waitRecorded waits until the monitor of id has written its exit to the
// record (inspect reports exited as soon as the process is gone, while the
// monitor may still be writing the last of the log).
func (e *env) waitRecorded(id string) {
	e.t.Helper()
	waitFor(e.t, "exit recorded", func() bool {
		return e.record(id)["State"].(map[string]any)["Status"] == "exited"
	})
}

// assertConsecutive checks that out is "line K" ... "line last", one per
// line, for some K, and returns K.
func assertConsecutive(t *testing.T, out string, last int) int {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var first int
	if _, err := fmt.Sscanf(lines[0], "line %d", &first); err != nil {
		t.Fatalf("first line %q", lines[0])
	}
	for i, l := range lines {
		if l != fmt.Sprintf("line %d", first+i) {
			t.Fatalf("line %d is %q, want line %d", i, l, first+i)
		}
	}
	if first+len(lines)-1 != last {
		t.Fatalf("ends at line %d, want %d", first+len(lines)-1, last)
	}
	return first
}

// --log-opt max-size/max-file rotate the log as Docker's json-file driver
// does; logs reads the kept files in order.
func TestLogRotationKeepsNewestLines(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "--log-opt", "max-size=1k", "--log-opt", "max-file=3", "busybox", "sh", "-c",
		`i=0; while [ $i -lt 300 ]; do echo line $i; i=$((i+1)); done`)
	e.waitRecorded(id)
	logs, _ := filepath.Glob(filepath.Join(e.root, "containers", id, "container.log*"))
	if len(logs) != 3 {
		t.Fatalf("log files: %v", logs)
	}
	entries := 0 // one per line in every kept file
	for _, l := range logs {
		data, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > 1024 {
			t.Errorf("%s: %d bytes, over max-size", l, len(data))
		}
		entries += strings.Count(string(data), "\n")
	}
	out := e.run(0, "logs", id).stdout
	if first := assertConsecutive(t, out, 299); first == 0 {
		t.Fatal("nothing was rotated away")
	}
	if got := strings.Count(out, "\n"); got != entries {
		t.Fatalf("logs printed %d lines of the %d kept", got, entries)
	}
	if got := e.ok("logs", "--tail", "3", id); got != "line 297\nline 298\nline 299" {
		t.Fatalf("logs --tail 3: %q", got)
	}
	r := e.run(125, "run", "--log-opt", "max-size=10x", "busybox", "true")
	if !strings.Contains(r.stderr, "max-size") {
		t.Fatalf("bad --log-opt: %q", r.stderr)
	}
	if got := strings.Count(e.ok("ps", "-aq"), "\n"); got != 0 {
		t.Fatalf("a refused run left a container")
	}
}

// logs -f follows the log across rotations, losing and repeating nothing.
func TestLogsFollowAcrossRotation(t *testing.T) {
	e := newEnv(t)
	gate := t.TempDir()
	id := e.ok("run", "-d", "-v", gate+":/gate", "--log-opt", "max-size=1k", "--log-opt", "max-file=100",
		"busybox", "sh", "-c", `echo ready; while [ ! -e /gate/go ]; do sleep 0.05; done; i=0; while [ $i -lt 300 ]; do echo line $i; i=$((i+1)); done`)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := e.cmd(ctx, "logs", "-f", id)
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(stdout)
	if first, err := rd.ReadString('\n'); err != nil || first != "ready\n" {
		t.Fatalf("first line %q, %v", first, err)
	}
	// logs -f is following now: let the output (and the rotations) begin.
	if err := os.WriteFile(filepath.Join(gate, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var rest strings.Builder
	if _, err := rd.WriteTo(&rest); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("logs -f: %v", err)
	}
	if first := assertConsecutive(t, rest.String(), 299); first != 0 {
		t.Fatalf("logs -f began at line %d", first)
	}
	if logs, _ := filepath.Glob(filepath.Join(e.root, "containers", id, "container.log.*")); len(logs) < 5 {
		t.Fatalf("only %d rotations", len(logs))
	}
}

// logs shows a detached container's escape sequences escaped on a
// terminal (they could retitle, clear or reprogram it), raw with --raw.
func TestLogsEscapesControlOnTerminal(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "busybox", "printf", `\033]0;pwned\007\033[2Jdone\n`)
	e.waitRecorded(id)
	out, code := runInPty(t, e, "", "logs", id)
	if code != 0 || !strings.Contains(out, `\x1b]0;pwned\x07\x1b[2Jdone`) || strings.ContainsAny(out, "\x1b\x07") {
		t.Fatalf("logs on a terminal: exit %d, %q", code, out)
	}
	out, code = runInPty(t, e, "", "logs", "--raw", id)
	if code != 0 || !strings.Contains(out, "\x1b]0;pwned\x07\x1b[2Jdone") {
		t.Fatalf("logs --raw: exit %d, %q", code, out)
	}
	// Not a terminal: the bytes as written, for scripts and files.
	if got := e.run(0, "logs", id).stdout; got != "\x1b]0;pwned\x07\x1b[2Jdone\n" {
		t.Fatalf("logs to a pipe: %q", got)
	}
}
