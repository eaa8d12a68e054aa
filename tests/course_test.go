package tests

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The series' sessions, chapter by chapter, typed as the chapters show
// them in course mode (MYDOCKER_MODE=course) on a temporary root. Where a
// chapter names a host path (/root/volume) or a program busybox lacks
// (stress), the test says what it uses instead and why. docs/chapters.md
// maps each chapter to the code.

// newCourseEnv is newEnv with course mode on for every mydocker it runs.
func newCourseEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	// The sessions' output is checked as the series shows it; course
	// mode's trace (on by default, TestCourseModeTurnsTraceOn) would
	// interleave with it on a terminal.
	e.extraEnv = []string{"MYDOCKER_MODE=course", "MYDOCKER_TRACE=0"}
	return e
}

// Course mode narrates: with no MYDOCKER_TRACE of the user's, every
// kernel step is traced on stderr, as the series prints each step.
func TestCourseModeTurnsTraceOn(t *testing.T) {
	e := newEnv(t)
	e.extraEnv = []string{"MYDOCKER_MODE=course"}
	r := e.run(0, "run", "/bin/true")
	for _, want := range []string{"trace ch.1  namespaces", "pivot_root . .", "trace ch.5  overlay"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("course mode's stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if r.stdout != "" {
		t.Errorf("stdout %q: the trace goes to stderr only", r.stdout)
	}
}

// docker runs mydocker in Docker's mode on the same root, expecting want.
func (e *env) docker(want int, args ...string) result {
	e.t.Helper()
	saved := e.extraEnv
	e.extraEnv = []string{"MYDOCKER_MODE=docker"}
	defer func() { e.extraEnv = saved }()
	return e.run(want, args...)
}

// Chapter 1: `mydocker run -it /bin/sh`: a shell in new namespaces,
// pid 1 of its own pid namespace, with its own hostname; course mode
// needs no image and removes the container when the shell exits.
func TestCourseChapter01Namespaces(t *testing.T) {
	e := newCourseEnv(t)
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	out, code := runInPty(t, e, "echo pid=$$ host=$(hostname) end\nexit\n", "run", "-it", "/bin/sh")
	if code != 0 || !strings.Contains(out, "pid=1 host=") {
		t.Fatalf("exit %d, output %q", code, out)
	}
	if m := regexp.MustCompile(`pid=1 host=(\S+) end`).FindStringSubmatch(out); m == nil || m[1] == host {
		t.Fatalf("the container has the host's hostname: %q", out)
	}
	// Removed at exit, as the series' -it: ps (which lists every
	// container in course mode) shows nothing, and nothing is left.
	if rows := psRows(t, e.ok("ps")); len(rows) != 0 {
		t.Fatalf("ps after the -it container exited: %v", rows)
	}
	e.assertNothingLeft()
}

// Chapter 2: `mydocker run -it -mem 100m stress --vm-bytes 200m
// --vm-keep -m 1`. busybox has no stress: a tail holding 200 MB does
// the same, and is OOM-killed (137) under -mem 100m.
// The series' other limit flags (-cpushare, -cpuset) reach the cgroup.
func TestCourseChapter02Limits(t *testing.T) {
	e := newCourseEnv(t)
	// busybox's tail -c N holds N bytes: a quick hog, also under make
	// vmtest's emulated CPU (a shell string of that size takes minutes).
	_, code := runInPty(t, e, "", "run", "-it", "-mem", "100m", "/bin/sh", "-c", `head -c 209715200 /dev/zero | tail -c 209715200 >/dev/null`)
	if code != 137 {
		t.Fatalf("a 200m hog under -mem 100m exited %d, want 137 (OOM kill)", code)
	}
	// Within the limit it runs to the end.
	out, code := runInPty(t, e, "", "run", "-it", "-mem", "100m", "/bin/sh", "-c", `echo len=$(head -c 10485760 /dev/zero | tail -c 10485760 | wc -c)`)
	if code != 0 || !strings.Contains(out, "len=10485760") {
		t.Fatalf("a 10m shell under -mem 100m: exit %d, %q", code, out)
	}
	id := e.ok("run", "-d", "-name", "limited", "-cpushare", "512", "-cpuset", "0", "-mem", "100m", "top")
	res := e.record(id)["Config"].(map[string]any)["Resources"].(map[string]any)
	if res["CpuShares"] != float64(512) || res["Memory"] != float64(100<<20) || res["CpusetCpus"] != "0" {
		t.Fatalf("limits recorded %v", res)
	}
	// The chapter reads cgroup v1's files; on cgroup v2 the same limits
	// are memory.max and cpu.weight (512 shares are weight 20).
	got := e.runIn([]byte(`if [ -e /sys/fs/cgroup/cgroup.controllers ]; then cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.weight; `+
		`else cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.shares; fi`+"\n"), 0, "exec", "limited", "sh").stdout
	if f := strings.Fields(got); len(f) != 2 || f[0] != strconv.Itoa(100<<20) || (f[1] != "512" && f[1] != "20") {
		t.Fatalf("cgroup files inside: %q", got)
	}
	e.ok("rm", "-f", "limited")
}

// Chapter 3: `mydocker run -it ls -l`: the command passed whole through
// the pipe to init, run in busybox.
func TestCourseChapter03Pipe(t *testing.T) {
	e := newCourseEnv(t)
	out, code := runInPty(t, e, "", "run", "-it", "ls", "-l")
	if code != 0 || !regexp.MustCompile(`(?m)^d\S+\s+\d+\s+root\s+root\s+\d+ .* bin\r*$`).MatchString(out) {
		t.Fatalf("exit %d, output %q", code, out)
	}
	out, code = runInPty(t, e, "", "run", "-it", "/bin/echo", "a  b", "c")
	if code != 0 || !strings.Contains(out, "a  b c") {
		t.Fatalf("arguments not passed whole: exit %d, %q", code, out)
	}
	e.assertNothingLeft()
}

// Chapter 4: pivot_root: `mydocker run -it /bin/sh` sees busybox's root,
// not the host's: a file on the host is not there, / is the image's.
func TestCourseChapter04PivotRoot(t *testing.T) {
	e := newCourseEnv(t)
	marker := filepath.Join(e.root, "host-only")
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runInPty(t, e, "ls /; test -e "+marker+" && echo HOST-VIS''IBLE || echo host-hid''den; exit\n", "run", "-it", "/bin/sh")
	if code != 0 || !strings.Contains(out, "host-hidden") || strings.Contains(out, "HOST-VISIBLE") {
		t.Fatalf("exit %d, output %q", code, out)
	}
	for _, d := range []string{"bin", "etc", "proc", "sys", "tmp"} {
		if !regexp.MustCompile(`\b` + d + `\b`).MatchString(out) {
			t.Errorf("ls / lacks %s: %q", d, out)
		}
	}
	e.assertNothingLeft()
}

// Chapter 5: overlayfs: what a container writes lands in its own upper
// layer; the image and the next container do not see it.
func TestCourseChapter05Overlay(t *testing.T) {
	e := newCourseEnv(t)
	_, code := runInPty(t, e, "echo written > /bin/new; echo extra >> /etc/passwd; exit\n", "run", "-it", "/bin/sh")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	out, code := runInPty(t, e, "", "run", "-it", "/bin/sh", "-c", "test -e /bin/new && echo LEAKED; grep -c extra /etc/passwd; echo done")
	if code != 1 && code != 0 || strings.Contains(out, "LEAKED") || !regexp.MustCompile(`\b0\r*\n`).MatchString(out) {
		t.Fatalf("the next container sees the first one's writes: exit %d, %q", code, out)
	}
	e.assertNothingLeft()
}

// Chapter 6 (seed 000): `mydocker run -it -v /root/volume:/tmp /bin/sh`,
// with a temporary directory for /root/volume: what the shell writes in
// /tmp is in the host directory, and stays there after the container is
// gone (the series' unmount-order warning cannot bite: the volume is
// mounted only in the container's own mount namespace).
func TestCourseChapter06Volumes(t *testing.T) {
	e := newCourseEnv(t)
	vol := filepath.Join(t.TempDir(), "volume") // created by run, as the series' mkdir
	_, code := runInPty(t, e, "echo KubeExplorer > /tmp/hello.txt; exit\n", "run", "-it", "-v", vol+":/tmp", "/bin/sh")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if got, err := os.ReadFile(filepath.Join(vol, "hello.txt")); err != nil || string(got) != "KubeExplorer\n" {
		t.Fatalf("host volume: %q %v", got, err)
	}
	out, code := runInPty(t, e, "", "run", "-it", "-v", vol+":/tmp", "/bin/cat", "/tmp/hello.txt")
	if code != 0 || !strings.Contains(out, "KubeExplorer") {
		t.Fatalf("second container: exit %d, %q", code, out)
	}
	if got, err := os.ReadFile(filepath.Join(vol, "hello.txt")); err != nil || string(got) != "KubeExplorer\n" {
		t.Fatalf("volume data after the containers were removed: %q %v", got, err)
	}
	e.assertNothingLeft()
}

// Chapter 7: `mydocker commit myimage` while `mydocker run -it /bin/sh`
// runs: one argument, the image; it commits the running container and
// writes <root>/image/myimage.tar (the series writes /root/myimage.tar).
func TestCourseChapter07Commit(t *testing.T) {
	e := newCourseEnv(t)
	_, code := runInPtyFunc(t, e, func(master *os.File, shown func() string) {
		if _, err := master.WriteString("echo committed > /root/c.txt; echo DO''NE\n"); err != nil {
			t.Error(err)
			return
		}
		waitFor(t, "the write", func() bool { return strings.Contains(shown(), "DONE") })
		e.ok("commit", "myimage")
		master.WriteString("exit\n") //nolint:errcheck // the run ends either way
	}, "run", "-it", "/bin/sh")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(e.root, "image", "myimage.tar")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.ok("images"), "myimage") {
		t.Fatal("images does not list myimage")
	}
	// myimage is an image the store has: run takes it as the image.
	out, code := runInPty(t, e, "", "run", "-it", "myimage", "cat", "/root/c.txt")
	if code != 0 || !strings.Contains(out, "committed") {
		t.Fatalf("run myimage: exit %d, %q", code, out)
	}
	// With nothing running there is nothing to commit: one line, no image.
	r := e.run(125, "commit", "other")
	oneLine(t, r, "no running container to commit")
	if _, err := os.Stat(filepath.Join(e.root, "image", "other.tar")); !os.IsNotExist(err) {
		t.Fatalf("commit with nothing running wrote an image: %v", err)
	}
	e.assertNothingLeft()
}

// The newest running container is the one `commit IMAGE` takes.
func TestCourseCommitTakesNewestRunning(t *testing.T) {
	e := newCourseEnv(t)
	e.ok("run", "-d", "-name", "old", "/bin/sh", "-c", "echo old > /mark; exec sleep 1000")
	e.ok("run", "-d", "-name", "new", "/bin/sh", "-c", "echo new > /mark; exec sleep 1000")
	for _, c := range []string{"old", "new"} {
		waitFor(t, c+" to write", func() bool {
			r, _ := e.exec(nil, "exec", c, "cat", "/mark")
			return strings.TrimSpace(r.stdout) == c
		})
	}
	e.ok("commit", "img")
	out, _ := runInPty(t, e, "", "run", "-it", "img", "cat", "/mark")
	if !strings.Contains(out, "new") {
		t.Fatalf("commit IMAGE took the older container: %q", out)
	}
	e.ok("rm", "-f", "old", "new")
}

// Chapter 8: `mydocker run -d top`: prints the ID and returns; top runs
// in busybox in the background.
func TestCourseChapter08Detach(t *testing.T) {
	e := newCourseEnv(t)
	id := e.ok("run", "-d", "top")
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id) {
		t.Fatalf("run -d printed %q", id)
	}
	if st := e.state(id); st["Status"] != "running" {
		t.Fatalf("state %v", st)
	}
	if img := e.inspect(id)["Config"].(map[string]any)["Image"]; img != "busybox" {
		t.Fatalf("image %v, want busybox", img)
	}
	e.ok("rm", "-f", id)
}

// Chapter 9: `mydocker ps` lists every container with the series'
// columns and STATUS running or stopped; Docker's mode lists running
// ones, Docker's way.
func TestCourseChapter09Ps(t *testing.T) {
	e := newCourseEnv(t)
	id := e.ok("run", "-d", "-name", "bird", "top")
	done := e.ok("run", "-d", "-name", "done", "/bin/true")
	waitFor(t, "done to exit", func() bool { return e.state(done)["Status"] == "exited" })
	out := e.ok("ps")
	if !strings.HasPrefix(out, "ID") || !regexp.MustCompile(`^ID\s+NAME\s+IMAGE\s+PID\s+STATUS\s+COMMAND\s+CREATED`).MatchString(out) {
		t.Fatalf("ps header: %q", out)
	}
	rows := psRows(t, out)
	got := map[string][]string{}
	for _, r := range rows {
		got[r[1]] = r
	}
	if len(rows) != 2 || got["bird"][4] != "running" || got["done"][4] != "stopped" || got["bird"][0] != id[:12] || got["bird"][3] == "" || got["bird"][5] != "top" {
		t.Fatalf("course ps: %v", rows)
	}
	rows = psRows(t, e.docker(0, "ps").stdout)
	if len(rows) != 1 || rows[0][1] != "bird" || !strings.HasPrefix(rows[0][4], "Up ") {
		t.Fatalf("docker-mode ps: %v", rows)
	}
	e.ok("rm", "-f", "bird", "done")
}

// Chapter 10: `mydocker logs bird`.
func TestCourseChapter10Logs(t *testing.T) {
	e := newCourseEnv(t)
	e.ok("run", "-d", "-name", "bird", "/bin/sh", "-c", "echo hello from bird; exec sleep 1000")
	waitFor(t, "the log", func() bool { return strings.Contains(e.ok("logs", "bird"), "hello from bird") })
	e.ok("rm", "-f", "bird")
}

// Chapter 11: `mydocker exec bird sh`, then `ps` inside: the container's
// processes, top as pid 1.
func TestCourseChapter11Exec(t *testing.T) {
	e := newCourseEnv(t)
	e.ok("run", "-d", "-name", "bird", "top")
	out := e.runIn([]byte("ps\n"), 0, "exec", "bird", "sh").stdout
	if !regexp.MustCompile(`(?m)^\s*1\s+root\s+.*top`).MatchString(out) {
		t.Fatalf("ps inside: %q", out)
	}
	e.ok("rm", "-f", "bird")
}

// Chapter 12: `mydocker stop bird`: the process is gone, ps says stopped.
func TestCourseChapter12Stop(t *testing.T) {
	e := newCourseEnv(t)
	id := e.ok("run", "-d", "-name", "bird", "top")
	pid := int(e.state(id)["Pid"].(float64))
	e.ok("stop", "bird")
	if err := unix.Kill(pid, 0); err != unix.ESRCH {
		t.Fatalf("pid %d after stop: %v", pid, err)
	}
	rows := psRows(t, e.ok("ps"))
	if len(rows) != 1 || rows[0][4] != "stopped" || rows[0][3] != "" {
		t.Fatalf("ps after stop: %v", rows)
	}
	e.ok("rm", "bird")
}

// Chapter 13: `mydocker rm bird` removes a stopped container and all it
// held; a running one needs -f.
func TestCourseChapter13Rm(t *testing.T) {
	e := newCourseEnv(t)
	e.ok("run", "-d", "-name", "bird", "top")
	r := e.run(125, "rm", "bird")
	oneLine(t, r, "stop it first")
	e.ok("stop", "bird")
	e.ok("rm", "bird")
	if rows := psRows(t, e.ok("ps")); len(rows) != 0 {
		t.Fatalf("ps after rm: %v", rows)
	}
	e.assertNothingLeft()
}

// Chapter 14 (seed 003), in course mode: the ID ps shows works in the
// paths the chapter uses.
func TestCourseChapter14RootfsIsolation(t *testing.T) {
	chapter14(t, newCourseEnv(t))
}

// Chapter 14 in Docker's mode: the session is the same, as it names its
// image; only ps's STATUS wording differs.
func TestDockerModeChapter14(t *testing.T) {
	chapter14(t, newEnv(t))
}

func chapter14(t *testing.T, e *env) {
	e.ok("run", "-d", "-name", "rootfs", "busybox", "top")
	rows := psRows(t, e.ok("ps"))
	if len(rows) != 1 || rows[0][1] != "rootfs" || rows[0][5] != "top" {
		t.Fatalf("ps: %v", rows)
	}
	short := rows[0][0]
	// cd /var/lib/mydocker/overlay2/<ID>; ls
	ws := filepath.Join(e.root, "overlay2", short)
	if got := lsNames(t, ws); strings.Join(got, " ") != "lower merged upper work" {
		t.Fatalf("ls overlay2/%s: %v", short, got)
	}
	for _, d := range []string{"lower", "merged"} {
		if got := strings.Join(lsNames(t, filepath.Join(ws, d)), " "); !strings.Contains(got, "bin") || !strings.Contains(got, "etc") {
			t.Fatalf("ls %s: %v", d, got)
		}
	}
	// lower is a view of the image: reading it is fine, writing is not.
	if err := os.WriteFile(filepath.Join(ws, "lower", "x"), nil, 0o644); !errors.Is(err, unix.EROFS) {
		t.Fatalf("writing into lower: %v, want EROFS", err)
	}
	if _, err := os.Stat(filepath.Join(e.root, "containers", short, "config.json")); err != nil {
		t.Fatalf("containers/<ID>: %v", err)
	}
	e.runIn([]byte("echo KubeExplorer > a.txt\ncat a.txt\n"), 0, "exec", short, "/bin/sh")
	if got, err := os.ReadFile(filepath.Join(ws, "merged", "a.txt")); err != nil || string(got) != "KubeExplorer\n" {
		t.Fatalf("merged/a.txt = %q, %v", got, err)
	}
	e.ok("commit", short, "busybox-with-custom")
	if got := strings.Join(lsNames(t, filepath.Join(e.root, "image")), " "); got != "busybox-with-custom.tar busybox.tar" {
		t.Fatalf("ls image: %s", got)
	}
	e.ok("run", "-d", "-name", "rootfs2", "busybox-with-custom", "top")
	rows = psRows(t, e.ok("ps"))
	if len(rows) != 2 {
		t.Fatalf("ps: %v", rows)
	}
	short2 := rows[0][0]
	if rows[0][1] != "rootfs2" {
		short2 = rows[1][0]
	}
	if got := e.runIn([]byte("cat a.txt\n"), 0, "exec", short2, "/bin/sh").stdout; got != "KubeExplorer\n" {
		t.Fatalf("committed image lacks a.txt: %q", got)
	}
	// Two layers: lower is their union, read-only too.
	ws2 := filepath.Join(e.root, "overlay2", short2)
	if got := strings.Join(lsNames(t, filepath.Join(ws2, "lower")), " "); !strings.Contains(got, "a.txt") || !strings.Contains(got, "bin") {
		t.Fatalf("ls lower of the committed image: %s", got)
	}
	if err := os.WriteFile(filepath.Join(ws2, "lower", "x"), nil, 0o644); !errors.Is(err, unix.EROFS) {
		t.Fatalf("writing into a two-layer lower: %v, want EROFS", err)
	}
	e.ok("rm", short, "-f")
	for _, p := range []string{ws, filepath.Join(e.root, "containers", short)} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Fatalf("%s left after rm -f: %v", p, err)
		}
	}
	if got := strings.Join(lsNames(t, filepath.Join(e.root, "overlay2")), " "); strings.Contains(got, short) {
		t.Fatalf("ls overlay2 after rm: %s", got)
	}
	e.ok("rm", "-f", short2)
	e.assertNothingLeft()
	if entries, _ := os.ReadDir(filepath.Join(e.root, "containers")); len(entries) != 2 { // .locks .names
		t.Fatalf("containers dir after rm: %v", entries)
	}
}

// lsNames lists dir as ls does: names, sorted, without dot files.
func lsNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, en := range entries {
		if !strings.HasPrefix(en.Name(), ".") {
			out = append(out, en.Name())
		}
	}
	sort.Strings(out)
	return out
}

// Chapter 15: `run -it -name test -e bird=123 -e luck=bird busybox sh`,
// then `run -d -name test ...`: the -it container was removed at exit,
// so its name is free (in Docker's mode it is kept and refused).
func TestCourseChapter15Env(t *testing.T) {
	e := newCourseEnv(t)
	out, code := runInPty(t, e, "env | grep -e bird -e luck | sort; exit\n", "run", "-it", "-name", "test", "-e", "bird=123", "-e", "luck=bird", "busybox", "sh")
	if code != 0 || !strings.Contains(out, "bird=123") || !strings.Contains(out, "luck=bird") {
		t.Fatalf("exit %d, output %q", code, out)
	}
	e.ok("run", "-d", "-name", "test", "-e", "bird=123", "-e", "luck=bird", "busybox", "top")
	if got := e.runIn([]byte("env\n"), 0, "exec", "test", "sh").stdout; !strings.Contains(got, "bird=123") || !strings.Contains(got, "luck=bird") {
		t.Fatalf("exec env: %q", got)
	}
	e.ok("rm", "-f", "test")
	// Docker's mode keeps an exited container, and its name.
	e.extraEnv = nil
	if _, code := runInPty(t, e, "exit\n", "run", "-it", "-name", "test", "busybox", "sh"); code != 0 {
		t.Fatalf("docker-mode run -it: exit %d", code)
	}
	r := e.run(125, "run", "-d", "-name", "test", "busybox", "top")
	oneLine(t, r, "already in use")
	e.ok("rm", "test")
}

// seriesSubnet and seriesNetwork are the network chapters' own.
const (
	seriesSubnet  = "192.168.10.0/24"
	seriesNetwork = "testbridge"
)

// seriesNetworkFree fails the test, touching nothing, if this host
// already uses the series' subnet or bridge name.
func seriesNetworkFree(t *testing.T) {
	t.Helper()
	if _, err := net.InterfaceByName(seriesNetwork); err == nil {
		t.Fatalf("an interface named %s exists on this host: the series' network chapters need that name; remove it or run these tests elsewhere", seriesNetwork)
	}
	_, series, _ := net.ParseCIDR(seriesSubnet)
	ifaces, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, ifc := range ifaces {
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && (series.Contains(ipn.IP) || ipn.Contains(series.IP)) {
				t.Fatalf("%s already has %s, in the series' subnet %s: the network chapters cannot run on this host as written", ifc.Name, ipn, seriesSubnet)
			}
		}
	}
}

// createSeriesNetwork types the chapters' network create.
func (e *env) createSeriesNetwork() {
	e.t.Helper()
	seriesNetworkFree(e.t)
	e.t.Cleanup(func() {
		if r, err := e.exec(nil, "network", "rm", seriesNetwork); err == nil && r.code != 0 && !strings.Contains(r.stderr, "no such network") {
			e.t.Errorf("remove %s: %s", seriesNetwork, r.stderr)
		}
	})
	if got := e.ok("network", "create", "--driver", "bridge", "--subnet", "192.168.10.1/24", seriesNetwork); got != seriesNetwork {
		e.t.Fatalf("network create printed %q", got)
	}
}

// Chapter 16: `mydocker network create --driver bridge --subnet
// 192.168.10.1/24 testbridge`: the network 192.168.10.0/24, gateway .1
// on a bridge named testbridge; `network list`; `network remove`.
func TestCourseChapter16NetworkCreate(t *testing.T) {
	e := newCourseEnv(t)
	e.createSeriesNetwork()
	rows := strings.Split(e.ok("network", "list"), "\n")
	if len(rows) != 2 || strings.Join(strings.Fields(rows[1]), " ") != "testbridge bridge 192.168.10.0/24 192.168.10.1 testbridge" {
		t.Fatalf("network list: %q", rows)
	}
	ifc, err := net.InterfaceByName(seriesNetwork)
	if err != nil {
		t.Fatalf("no bridge named %s: %v", seriesNetwork, err)
	}
	addrs, _ := ifc.Addrs()
	if len(addrs) != 1 || addrs[0].String() != "192.168.10.1/24" {
		t.Fatalf("ip addr show testbridge: %v", addrs)
	}
	e.ok("network", "remove", seriesNetwork)
	if _, err := net.InterfaceByName(seriesNetwork); err == nil {
		t.Fatal("bridge left after network remove")
	}
	if len(iptablesRules(t, "mydocker-net:"+seriesNetwork)) > 0 {
		t.Fatal("rules left after network remove")
	}
}

// Chapter 17: `mydocker run -it -net testbridge busybox sh`: containers on
// the network reach each other; without -net only lo (course mode).
// `network remove` works once its containers have exited, freeing
// their addresses.
func TestCourseChapter17NetworkConnect(t *testing.T) {
	e := newCourseEnv(t)
	e.createSeriesNetwork()
	id := e.ok("run", "-d", "-name", "c1", "-net", seriesNetwork, "top")
	ip := e.ip(id)
	if !strings.HasPrefix(ip, "192.168.10.") || ip == "192.168.10.1" {
		t.Fatalf("c1 has address %q", ip)
	}
	out, code := runInPty(t, e, "ip -o -4 addr; ping -c 1 -W 5 "+ip+"; exit\n", "run", "-it", "-net", seriesNetwork, "busybox", "sh")
	if code != 0 || !strings.Contains(out, "inet 192.168.10.") || !strings.Contains(out, "1 packets received") {
		t.Fatalf("exit %d, output %q", code, out)
	}
	out, code = runInPty(t, e, "", "run", "-it", "ip", "-o", "link")
	if code != 0 || !strings.Contains(out, ": lo:") || strings.Contains(out, "eth0") {
		t.Fatalf("course mode without -net: exit %d, %q", code, out)
	}
	// An exited container's address does not keep the network.
	e.ok("stop", "c1")
	e.ok("network", "remove", seriesNetwork)
	if _, err := net.InterfaceByName(seriesNetwork); err == nil {
		t.Fatal("bridge left after network remove")
	}
	e.ok("rm", "c1")
	e.assertNothingLeft()
}

// A running container still keeps its network, in either mode.
func TestNetworkRemoveRefusedWhileRunning(t *testing.T) {
	e := newEnv(t)
	name, _ := e.createNetwork(24)
	e.ok("run", "-d", "--name", "c1", "--net", name, "busybox", "sleep", "1000")
	r := e.run(125, "network", "rm", name)
	oneLine(t, r, "in use by container")
	e.ok("stop", "-t", "0", "c1")
	e.ok("network", "rm", name)
	e.ok("rm", "c1")
}

// Chapter 18: `mydocker run -d -net testbridge -p 8080:80 ...`: a port
// published on the host reaches the container. The host port is a free
// one rather than 8080, which other programs on this machine may hold.
func TestCourseChapter18Ports(t *testing.T) {
	e := newCourseEnv(t)
	e.createSeriesNetwork()
	port := freePort(t)
	e.ok("run", "-d", "-name", "web", "-net", seriesNetwork, "-p", fmt.Sprintf("%d:80", port), "/bin/sh", "-c", webScript)
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	var body string
	waitFor(t, "the web server", func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return resp.StatusCode == 200
	})
	if !strings.HasPrefix(body, "hello from ") {
		t.Fatalf("body %q", body)
	}
	e.ok("rm", "-f", "web")
	// Without -net course mode has no network to publish on: one line.
	r := e.run(125, "run", "-d", "-p", fmt.Sprintf("%d:80", port), "top")
	oneLine(t, r, "-p needs a network in course mode")
	e.assertNothingLeft()
}

// Images the series' own commit wrote (tar -czf) are read from
// <root>/image as they are, in both modes.
func TestCourseGzipImageTar(t *testing.T) {
	e := newCourseEnv(t)
	plain, err := os.ReadFile(busyboxTar(t))
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.root, "image", "gzbox.tar"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := runInPty(t, e, "", "run", "-it", "gzbox", "cat", "/etc/passwd")
	if code != 0 || !strings.Contains(out, "root:x:0:0") {
		t.Fatalf("course run gzbox: exit %d, %q", code, out)
	}
	if got := e.docker(0, "run", "--rm", "gzbox", "cat", "/etc/group").stdout; !strings.Contains(got, "root:x:0:") {
		t.Fatalf("docker-mode run gzbox: %q", got)
	}
	e.assertNothingLeft()
}

// What course mode changes, and Docker's mode refuses with the chapter's
// form as the hint: each a single line, exit 125 (1 for a container that
// does not exist, as Docker), nothing left behind.
func TestCourseModeErrors(t *testing.T) {
	e := newEnv(t)
	r := e.run(125, "run", "-it", "/bin/sh")
	oneLine(t, r, "run needs an image since chapter 14: mydocker run -it busybox /bin/sh")
	r = e.run(125, "run", "--pull", "never", "-it", "ls", "-l")
	oneLine(t, r, "if ls is a command: run needs an image since chapter 14: mydocker run -it busybox ls -l")
	r = e.run(1, "commit", "myimage")
	oneLine(t, r, "commit takes the container since chapter 14: mydocker commit CONTAINER myimage")
	r = e.run(125, "--mode", "bogus", "ps")
	oneLine(t, r, `invalid --mode "bogus"`)
	e.extraEnv = []string{"MYDOCKER_MODE=Course"}
	r = e.run(125, "ps")
	oneLine(t, r, `invalid --mode "Course"`)
	e.extraEnv = nil
	r = e.run(125, "network", "create", "--subnet", "10.231.5.7/24", "typo")
	oneLine(t, r, "did you mean 10.231.5.0/24 (or 10.231.5.1/24")
	r = e.run(125, "run", "-cpushare", "abc", "busybox", "true")
	oneLine(t, r, `invalid --cpu-shares "abc"`)
	// --mode course on the command line is the same as the variable.
	out, code := runInPty(t, e, "", "--mode", "course", "run", "-it", "/bin/echo", "flag")
	if code != 0 || !strings.Contains(out, "flag") {
		t.Fatalf("--mode course: exit %d, %q", code, out)
	}
	if r := e.run(0, "network", "ls"); strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("networks left: %q", r.stdout)
	}
	e.assertNothingLeft()
}

// The series' single-dash flags parse in both modes: -it, -name, -mem,
// -cpushare, -net, -p, -v, -e, -d.
func TestSeriesSingleDashFlags(t *testing.T) {
	e := newEnv(t)
	name, _ := e.createNetwork(24)
	vol := t.TempDir()
	port := freePort(t)
	id := e.ok("run", "-d", "-name", "flags", "-mem", "64m", "-cpushare", "256", "-net", name, "-p", fmt.Sprintf("%d:80", port),
		"-v", vol+":/data", "-e", "k=v", "busybox", "sh", "-c", "echo $k > /data/k; exec sleep 1000")
	rec := e.record(id)
	cfg := rec["Config"].(map[string]any)
	res := cfg["Resources"].(map[string]any)
	if rec["Name"] != "flags" || res["Memory"] != float64(64<<20) || res["CpuShares"] != float64(256) || cfg["Network"] != name || len(cfg["Ports"].([]any)) != 1 {
		t.Fatalf("record %v", rec)
	}
	waitFor(t, "the volume write", func() bool {
		b, err := os.ReadFile(filepath.Join(vol, "k"))
		return err == nil && string(b) == "v\n"
	})
	e.ok("rm", "-f", "flags")
	out, code := runInPty(t, e, "", "run", "-it", "busybox", "true")
	if code != 0 {
		t.Fatalf("-it: exit %d %q", code, out)
	}
	e.ok("rm", e.ok("ps", "-aq"))
}

// Course mode runs commands in busybox: without it the error says where
// the series puts it, in one line, and nothing is left.
func TestCourseModeNeedsBusybox(t *testing.T) {
	e := newCourseEnv(t)
	if err := os.Remove(filepath.Join(e.root, "image", "busybox.tar")); err != nil {
		t.Fatal(err)
	}
	r := e.run(125, "run", "--pull", "never", "-it", "/bin/sh")
	oneLine(t, r, "course mode runs commands in the busybox image: put busybox.tar in "+filepath.Join(e.root, "image")+" (chapter 4)")
	e.assertNothingLeft()
}
