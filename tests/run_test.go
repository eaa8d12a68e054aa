package tests

import (
	"archive/tar"
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunKeepsArgumentsWhole(t *testing.T) {
	e := newEnv(t)
	r := e.run(0, "run", "--rm", "busybox", "sh", "-c", `echo "a  b"; printf '%s|' "$0" "$1"`, "x y", "")
	if r.stdout != "a  b\nx y||" {
		t.Fatalf("stdout %q, want %q", r.stdout, "a  b\nx y||")
	}
}

func TestRunExitCodes(t *testing.T) {
	e := newEnv(t)
	e.run(0, "run", "--rm", "busybox", "true")
	e.run(3, "run", "--rm", "busybox", "sh", "-c", "exit 3")
	e.assertNothingLeft()
	// Killed by signal N: 128+N, as a shell reports it. (Pid 1 cannot be
	// SIGKILLed from inside its namespace, so the test kills it from here.)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := e.cmd(ctx, "run", "--name", "victim", "busybox", "sleep", "100")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	var pid float64
	waitFor(t, "container running", func() bool {
		ids := e.containerIDs()
		if len(ids) != 1 {
			return false
		}
		// The record directory exists a moment before its config.json.
		data, err := os.ReadFile(filepath.Join(e.root, "containers", ids[0], "config.json"))
		var rec struct{ State struct{ Pid int } }
		if err != nil || json.Unmarshal(data, &rec) != nil {
			return false
		}
		pid = float64(rec.State.Pid)
		return pid > 0
	})
	if err := syscall.Kill(int(pid), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.Wait()
	if code := c.ProcessState.ExitCode(); code != 137 {
		t.Fatalf("killed container: exit %d, want 137", code)
	}
}

func TestRunIsolation(t *testing.T) {
	e := newEnv(t)
	// One probe per line, so each check below reads one answer.
	script := `echo $$
hostname
ps -o comm > /tmp/ps; echo $(tail -n +2 /tmp/ps | sort)
echo $(ls /)
ip link show lo | grep -c ',UP'
ip link | grep -c '^[0-9]'
echo $(ls /dev)
readlink /dev/ptmx
tty
touch /sys/x 2>&1 | grep -c Read-only
echo hi > /dev/null && head -c 4 /dev/zero | wc -c
grep -c ' - devpts ' /proc/self/mountinfo`
	out := e.ok("run", "--name", "iso", "--network", "none", "busybox", "sh", "-c", script)
	ids := e.containerIDs()
	if len(ids) != 1 {
		t.Fatalf("want one record, got %v", ids)
	}
	lines := strings.Split(out, "\n")
	if len(lines) != 12 {
		t.Fatalf("want 12 lines, got:\n%s", out)
	}
	want := []struct{ what, got, want string }{
		{"pid of the command", lines[0], "1"},
		{"hostname", lines[1], ids[0][:12]},
		{"lo up", lines[4], "1"},
		{"only lo in the network namespace", lines[5], "1"},
		{"ptmx", lines[7], "pts/ptmx"},
		{"tty without -t", lines[8], "not a tty"},
		{"/sys read-only", lines[9], "1"},
		{"/dev/zero", strings.TrimSpace(lines[10]), "4"},
		{"devpts mounted", lines[11], "1"},
	}
	for _, w := range want {
		if w.got != w.want {
			t.Errorf("%s: %q, want %q", w.what, w.got, w.want)
		}
	}
	// When ps ran, the shell and ps were the container's only processes:
	// nothing of the host is visible.
	if got := lines[2]; got != "ps sh" {
		t.Errorf("container sees processes %q, want only its own (ps sh)", got)
	}
	for _, name := range []string{"bin", "etc", "proc", "sys", "dev"} {
		if !strings.Contains(" "+lines[3]+" ", " "+name+" ") {
			t.Errorf("rootfs lacks /%s: %q", name, lines[3])
		}
	}
	for _, name := range []string{"null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "fd", "stdin", "stdout", "stderr"} {
		if !strings.Contains(" "+lines[6]+" ", " "+name+" ") {
			t.Errorf("/dev lacks %s: %q", name, lines[6])
		}
	}
}

func TestRunHostnameFlag(t *testing.T) {
	e := newEnv(t)
	if got := e.ok("run", "--rm", "--hostname", "box1", "busybox", "hostname"); got != "box1" {
		t.Fatalf("hostname %q", got)
	}
	if host, _ := os.Hostname(); host == "box1" {
		t.Fatal("host's hostname changed")
	}
}

func TestRunWritesStayInContainer(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "--rm", "busybox", "sh", "-c", "echo hi > /etc/leak; rm /bin/ls; mkdir /newdir")
	out := e.ok("run", "--rm", "busybox", "sh", "-c", "ls /etc/leak /newdir 2>&1; test -e /bin/ls && echo ls-present")
	if strings.Contains(out, "\nhi") || !strings.Contains(out, "ls-present") || !strings.Contains(out, "No such file") {
		t.Fatalf("write leaked into the next container:\n%s", out)
	}
	layers, _ := filepath.Glob(filepath.Join(e.root, "layers", "sha256", "*"))
	if len(layers) != 1 {
		t.Fatalf("want one unpacked layer, got %v", layers)
	}
	if _, err := os.Stat(filepath.Join(layers[0], "etc", "leak")); err == nil {
		t.Fatal("write reached the image layer")
	}
	if _, err := os.Lstat(filepath.Join(layers[0], "bin", "ls")); err != nil {
		t.Fatal("delete reached the image layer")
	}
}

func TestRunUnpacksImageOnce(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "--rm", "busybox", "true")
	layers, _ := filepath.Glob(filepath.Join(e.root, "layers", "sha256", "*"))
	if len(layers) != 1 {
		t.Fatalf("layers %v", layers)
	}
	marker := filepath.Join(layers[0], "marker-from-test")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A second run reuses the cache: it sees the marker a re-unpack would remove.
	if got := e.ok("run", "--rm", "busybox", "ls", "/marker-from-test"); got != "/marker-from-test" {
		t.Fatalf("image was unpacked again: %q", got)
	}
}

func TestRunVolumes(t *testing.T) {
	e := newEnv(t)
	host := t.TempDir()
	existing := filepath.Join(host, "existing")
	if err := os.MkdirAll(existing, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(existing, "keep.txt"), []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(host, "fresh", "sub")
	ro := filepath.Join(host, "ro")
	if err := os.MkdirAll(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	out := e.ok("run", "--rm",
		"-v", existing+":/data",
		"--volume", fresh+":/deep/new/dir",
		"-v", ro+":/ro:ro",
		"busybox", "sh", "-c",
		"cat /data/keep.txt; echo written > /data/out.txt; echo new > /deep/new/dir/f; echo no > /ro/f 2>/dev/null || echo ro-refused")
	if out != "precious\nro-refused" {
		t.Fatalf("output %q", out)
	}
	for path, want := range map[string]string{
		filepath.Join(existing, "keep.txt"): "precious\n",
		filepath.Join(existing, "out.txt"):  "written\n",
		filepath.Join(fresh, "f"):           "new\n",
	} {
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", path, got, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(ro, "f")); err == nil {
		t.Error("write reached a :ro volume")
	}
	e.assertNothingLeft()
	// The volume's data survived the container's removal.
	if _, err := os.Stat(filepath.Join(existing, "keep.txt")); err != nil {
		t.Fatal("volume data lost")
	}
}

// An image whose /link points at the host's / must not redirect a volume
// outside the container's rootfs.
func TestRunVolumeCannotEscapeRootfs(t *testing.T) {
	e := newEnv(t)
	escape := filepath.Join(t.TempDir(), "target")
	writeImageWithSymlink(t, filepath.Join(e.root, "image", "evil.tar"), "link", filepath.Dir(escape))
	src := t.TempDir()
	e.ok("run", "--rm", "-v", src+":/link/target", "evil", "true")
	if _, err := os.Stat(escape); err == nil {
		t.Fatalf("volume destination escaped the rootfs: %s exists on the host", escape)
	}
}

// writeImageWithSymlink copies the busybox image and adds a symlink.
func writeImageWithSymlink(t *testing.T, path, name, target string) {
	t.Helper()
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	tw := tar.NewWriter(out)
	copyTarEntries(t, tw, busyboxTar(t))
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777}); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRunEnvAndWorkdir(t *testing.T) {
	e := newEnv(t)
	t.Setenv("FROM_CALLER", "passed")
	out := e.ok("run", "--rm", "-e", "A=1", "--env", "B=x y", "-e", "FROM_CALLER", "-w", "/work/dir",
		"busybox", "sh", "-c", `echo "$A|$B|$FROM_CALLER|$PATH|$HOME"; pwd`)
	want := "1|x y|passed|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|/root\n/work/dir"
	if out != want {
		t.Fatalf("got %q, want %q", out, want)
	}
	// A user PATH replaces the default and is used for the lookup.
	e.run(127, "run", "--rm", "-e", "PATH=/nowhere", "busybox", "ls")
}

func TestRunStdin(t *testing.T) {
	e := newEnv(t)
	r := e.runIn([]byte("line one\nline two\n"), 0, "run", "--rm", "-i", "busybox", "sh", "-c", "cat; echo done")
	if r.stdout != "line one\nline two\ndone\n" {
		t.Fatalf("-i stdin: %q", r.stdout)
	}
	// Without -i the container reads nothing from our stdin.
	r = e.runIn([]byte("secret\n"), 0, "run", "--rm", "busybox", "cat")
	if r.stdout != "" {
		t.Fatalf("stdin leaked without -i: %q", r.stdout)
	}
}

func TestRunStderrSeparate(t *testing.T) {
	e := newEnv(t)
	r := e.run(0, "run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2")
	if r.stdout != "out\n" || r.stderr != "err\n" {
		t.Fatalf("stdout %q stderr %q", r.stdout, r.stderr)
	}
}

func TestRunTty(t *testing.T) {
	e := newEnv(t)
	out, code := runInPty(t, e, "exit 5\n", "run", "--rm", "-it", "busybox", "sh", "-c", "tty; stty size; read line; eval \"$line\"")
	if code != 5 {
		t.Fatalf("exit %d, want 5; output %q", code, out)
	}
	if !strings.Contains(out, "/dev/pts/0") {
		t.Errorf("tty inside: %q, want /dev/pts/0", out)
	}
	if !strings.Contains(out, "40 120") {
		t.Errorf("window size not passed on: %q", out)
	}
	// -t alone gives a terminal too; -ti spelled the other way round works.
	out, code = runInPty(t, e, "", "run", "--rm", "-ti", "busybox", "tty")
	if code != 0 || !strings.Contains(out, "/dev/pts/0") {
		t.Errorf("-ti: exit %d, %q", code, out)
	}
}

func TestRunSignalsReachContainer(t *testing.T) {
	e := newEnv(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		code, rest := signalWhenReady(t, e, sig, "run", "--rm", "busybox", "sh", "-c",
			`trap 'echo caught; exit 9' TERM INT; echo ready; while :; do sleep 0.05; done`)
		if code != 9 || rest != "caught\n" {
			t.Fatalf("%v: exit %d, output %q; want 9 and caught", sig, code, rest)
		}
	}
	e.assertNothingLeft()
}

// signalWhenReady runs mydocker with args, whose command prints "ready"
// first, sends sig to mydocker once it has, and returns its exit code and
// the output after "ready".
func signalWhenReady(t *testing.T, e *env, sig syscall.Signal, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := e.cmd(ctx, args...)
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(stdout)
	if line, err := rd.ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("%v: first line %q, %v", sig, line, err)
	}
	if err := c.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(rd)
	if err := c.Wait(); err != nil && c.ProcessState == nil {
		t.Fatal(err)
	}
	return c.ProcessState.ExitCode(), string(rest)
}

// exec passes the signals it gets on to the command, once (the stub runs
// in a process group of its own), and exits with the command's code.
func TestExecSignalsReachCommand(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "c", "--network", "none", "busybox", "sleep", "1000")
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		code, rest := signalWhenReady(t, e, sig, "exec", "c", "sh", "-c",
			`n=0; trap 'n=$((n+1))' HUP; trap 'echo caught $n; exit 9' TERM INT; echo ready; while :; do sleep 0.05; [ $n -gt 0 ] && echo hup $n && exit 7; done`)
		want, wantCode := "caught 0\n", 9
		if sig == syscall.SIGHUP {
			want, wantCode = "hup 1\n", 7
		}
		if code != wantCode || rest != want {
			t.Fatalf("%v: exit %d, output %q; want %d and %q", sig, code, rest, wantCode, want)
		}
	}
}

func TestRunErrors(t *testing.T) {
	e := newEnv(t)
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown image", []string{"run", "nosuchimage"}, 125, "nosuchimage"},
		{"missing image", []string{"run"}, 125, "requires an IMAGE"},
		{"only flags", []string{"run", "--rm"}, 125, "requires an IMAGE"},
		{"bad volume", []string{"run", "-v", "./relative:/x", "busybox"}, 125, "relative"},
		{"bad volume mode", []string{"run", "-v", "/tmp:/x:rx", "busybox"}, 125, "rx"},
		{"volume with a relative target", []string{"run", "-v", "/tmp:tmp", "busybox"}, 125, "tmp"},
		{"bad flag", []string{"run", "--bogus", "busybox"}, 125, "bogus"},
		{"bad name", []string{"run", "--name", "no/slash", "busybox"}, 125, "no/slash"},
		{"relative workdir", []string{"run", "-w", "rel", "busybox"}, 125, "rel"},
		{"bad env", []string{"run", "-e", "=x", "busybox"}, 125, "=x"},
		{"command not found", []string{"run", "busybox", "nosuchcmd"}, 127, "nosuchcmd"},
		{"path not found", []string{"run", "busybox", "/no/such"}, 127, "/no/such"},
		{"not executable", []string{"run", "busybox", "/etc/passwd"}, 126, "/etc/passwd"},
		{"directory", []string{"run", "busybox", "/bin"}, 126, "/bin"},
		{"volume destination over a file", []string{"run", "-v", t.TempDir() + ":/etc/passwd", "busybox", "true"}, 125, "/etc/passwd"},
		{"unknown command", []string{"nosuchcommand"}, 125, "nosuchcommand"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.run(tc.code, tc.args...)
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tc.msg) {
				t.Errorf("stderr should be one line naming %q, got %q", tc.msg, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			e.assertNothingLeft()
		})
	}
}

func TestRunKeepsRecordWithoutRm(t *testing.T) {
	e := newEnv(t)
	e.run(4, "run", "--name", "kept", "busybox", "sh", "-c", "echo x > /file; exit 4")
	ids := e.containerIDs()
	if len(ids) != 1 {
		t.Fatalf("records %v", ids)
	}
	st := e.record(ids[0])["State"].(map[string]any)
	if st["Status"] != "exited" || st["ExitCode"].(float64) != 4 {
		t.Fatalf("state %v", st)
	}
	// Its writable layer stays for a later start or commit.
	if _, err := os.Stat(filepath.Join(e.root, "overlay2", ids[0], "upper", "file")); err != nil {
		t.Fatalf("writable layer: %v", err)
	}
	if m := mountsUnder(t, e.root); len(m) > 0 {
		t.Fatalf("mounts left: %v", m)
	}
	// With --rm the same run leaves nothing, whatever its exit code.
	e.ok("rm", "kept")
	e.run(4, "run", "--rm", "--name", "gone", "busybox", "sh", "-c", "echo x > /file; exit 4")
	e.assertNothingLeft()
}

func TestDebugShowsSteps(t *testing.T) {
	e := newEnv(t)
	r := e.run(0, "--debug", "run", "--rm", "busybox", "true")
	for _, step := range []string{"new uts, pid, mount, ipc and net namespaces", "mounted proc on /proc", "pivot_root", "hostname", "exec"} {
		if !strings.Contains(r.stderr, step) {
			t.Errorf("--debug output lacks %q:\n%s", step, r.stderr)
		}
	}
	if r.stdout != "" {
		t.Errorf("debug output on stdout: %q", r.stdout)
	}
	quiet := e.run(0, "run", "--rm", "busybox", "true")
	if quiet.stderr != "" {
		t.Errorf("not quiet by default: %q", quiet.stderr)
	}
}
