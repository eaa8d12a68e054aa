package tests

import (
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A container's init runs from mydocker-inside, the lean companion beside
// mydocker, and exec's stub from mydocker-init. These tests run copies of the binaries from
// a directory of their own: with a companion from another build, and with
// none.

// installCopy copies the built binaries named into a new directory and
// returns the copy of mydocker there.
func installCopy(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(filepath.Dir(binary), name))
		if err != nil {
			t.Fatalf("%v (run make build)", err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "mydocker")
}

// runWith runs the mydocker at bin against the env's root.
func (e *env) runWith(bin string, args ...string) result {
	e.t.Helper()
	c := exec.Command(bin, args...)
	c.Env = append(os.Environ(), "MYDOCKER_ROOT="+e.root)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func versionOf(t *testing.T, bin string) (build, inside string) {
	t.Helper()
	out, err := exec.Command(bin, "version", "-f", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ BuildID, Inside string }
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	return v.BuildID, v.Inside
}

// The programs make builds link none of the modules they never use on
// the path of a run: mydocker-inside not the systemd cgroup driver's
// D-Bus client (tag nosystemd), which would be initialised on every run;
// neither it, mydocker (tag noassembler) nor mydocker-monitor the
// seccomp library, whose initialisation cost each start more than the
// rest of it; mydocker not the code that moves images (tag notransfer).
// mydocker-kube, which assembles filters and moves images for them, has
// both.
// The link checks of cmd/... and package main walk the packages; this
// checks the binaries the suite runs.
func TestProgramsBuiltLean(t *testing.T) {
	deps := func(name string) []string {
		info, err := buildinfo.ReadFile(filepath.Join(filepath.Dir(binary), name))
		if err != nil {
			t.Fatalf("%v (run make build)", err)
		}
		if len(info.Deps) == 0 {
			t.Fatalf("%s lists no modules: nothing was checked", name)
		}
		var paths []string
		for _, dep := range info.Deps {
			paths = append(paths, dep.Path)
		}
		return paths
	}
	links := func(name, module string) bool {
		for _, p := range deps(name) {
			if p == module || strings.HasPrefix(p, module+"/") {
				return true
			}
		}
		return false
	}
	// No Go program links the C library: its start would cost each run
	// and exec about 2 ms (the exec stub is C, in mydocker-init).
	for _, name := range []string{"mydocker", "mydocker-inside", "mydocker-monitor", "mydocker-kube"} {
		info, err := buildinfo.ReadFile(filepath.Join(filepath.Dir(binary), name))
		if err != nil {
			t.Fatalf("%v (run make build)", err)
		}
		cgo := ""
		for _, s := range info.Settings {
			if s.Key == "CGO_ENABLED" {
				cgo = s.Value
			}
		}
		if cgo != "0" {
			t.Errorf("%s built with CGO_ENABLED=%q, want 0", name, cgo)
		}
	}
	// Nor is mydocker-init, which every exec starts as its stub, linked
	// with glibc: its static start probes the CPU and took 1.8 ms more
	// CPU than musl's. A static glibc carries its name in its messages.
	initProgram, err := os.ReadFile(filepath.Join(filepath.Dir(binary), "mydocker-init"))
	if err != nil {
		t.Fatalf("%v (run make build)", err)
	}
	if bytes.Contains(initProgram, []byte("glibc")) {
		t.Error("mydocker-init is linked with glibc, not musl (make build uses musl-gcc)")
	}
	for _, name := range []string{"mydocker-inside"} {
		for _, m := range []string{"github.com/godbus/dbus/v5", "github.com/coreos/go-systemd/v22"} {
			if links(name, m) {
				t.Errorf("%s links %s", name, m)
			}
		}
	}
	const seccompLib = "github.com/elastic/go-seccomp-bpf"
	for _, name := range []string{"mydocker", "mydocker-inside", "mydocker-monitor"} {
		if links(name, seccompLib) {
			t.Errorf("%s links %s", name, seccompLib)
		}
	}
	if !links("mydocker-kube", seccompLib) {
		t.Errorf("mydocker-kube lacks %s: nothing would assemble a filter", seccompLib)
	}
	// The image transfer code (tag notransfer): the whole CLI has it.
	for _, m := range []string{"github.com/klauspost/compress", "github.com/vbauerster/mpb/v8", "github.com/docker/cli"} {
		if links("mydocker", m) {
			t.Errorf("mydocker links %s", m)
		}
		if !links("mydocker-kube", m) {
			t.Errorf("mydocker-kube lacks %s: nothing would pull or load an image", m)
		}
	}
}

// restamp makes the program name beside bin one of another build: the
// same program with another ID stamped in.
func restamp(t *testing.T, bin, name, build string) {
	t.Helper()
	path := filepath.Join(filepath.Dir(bin), name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(data, []byte(build)) == 0 {
		t.Fatalf("build ID %q not found in %s", build, name)
	}
	other := strings.Repeat("x", len(build))
	if err := os.WriteFile(path, bytes.ReplaceAll(data, []byte(build), []byte(other)), 0o755); err != nil {
		t.Fatal(err)
	}
}

// A companion from another build refuses the config it is given, with
// one line naming the cause, and nothing is left; so does an exec stub
// (mydocker-init) from another build. That each refuses at all shows run
// starts the companion and exec the stub, not mydocker itself.
func TestInsideFromAnotherBuildIsRefused(t *testing.T) {
	e := newEnv(t)
	build, inside := versionOf(t, binary)
	if build == "" || inside != filepath.Join(filepath.Dir(binary), "mydocker-inside") {
		t.Fatalf("built mydocker: build ID %q, inside %q: want make build's ID and the companion beside it", build, inside)
	}
	bin := installCopy(t, "mydocker", "mydocker-init", "mydocker-inside", "mydocker-kube")
	restamp(t, bin, "mydocker-inside", build)

	r := e.runWith(bin, "run", "--rm", "--network", "none", "busybox", "echo", "ran")
	if r.code != 125 || strings.Contains(r.stdout, "ran") || !strings.Contains(r.stderr, "another build") ||
		strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("run with a companion of another build: code %d, stdout %q, stderr %q; want 125 and one line", r.code, r.stdout, r.stderr)
	}
	if ids := e.containerIDs(); len(ids) != 0 {
		t.Fatalf("containers left: %v", ids)
	}

	id := strings.TrimSpace(e.run(0, "run", "-d", "--network", "none", "busybox", "sleep", "100").stdout)
	// exec does not start the companion: its stub is mydocker-init.
	if r = e.runWith(bin, "exec", id, "echo", "ran"); r.code != 0 || r.stdout != "ran\n" {
		t.Fatalf("exec beside a companion of another build: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	restamp(t, bin, "mydocker-init", build)
	r = e.runWith(bin, "exec", id, "echo", "ran")
	if r.code != 125 || strings.Contains(r.stdout, "ran") || !strings.Contains(r.stderr, "mydocker-init is from another build") ||
		strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("exec with a stub of another build: code %d, stdout %q, stderr %q; want 125 and one line", r.code, r.stdout, r.stderr)
	}
	e.run(0, "rm", "-f", id)
}

// Without mydocker-init, exec has no stub to join the container with: it
// says so in one line and exits 125, and the container runs on.
func TestExecWithoutStubSaysWhy(t *testing.T) {
	e := newEnv(t)
	bin := installCopy(t, "mydocker", "mydocker-inside", "mydocker-kube")
	id := strings.TrimSpace(e.run(0, "run", "-d", "--network", "none", "busybox", "sleep", "100").stdout)
	r := e.runWith(bin, "exec", id, "echo", "ran")
	if r.code != 125 || r.stdout != "" || !strings.Contains(r.stderr, "mydocker-init not found beside") ||
		strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("exec without mydocker-init: code %d, stdout %q, stderr %q; want 125 and one line", r.code, r.stdout, r.stderr)
	}
	if out := e.run(0, "exec", id, "echo", "still").stdout; out != "still\n" {
		t.Fatalf("exec with the whole build afterwards: %q", out)
	}
	e.run(0, "rm", "-f", id)
}

// Without the companion, mydocker is the container's init itself: run
// and exec (whose stub is mydocker-init) work the same.
func TestInsideMissingFallsBackToMydocker(t *testing.T) {
	e := newEnv(t)
	bin := installCopy(t, "mydocker", "mydocker-init", "mydocker-kube")
	if _, inside := versionOf(t, bin); inside != "/proc/self/exe" {
		t.Fatalf("inside without a companion: %q, want /proc/self/exe", inside)
	}
	if r := e.runWith(bin, "run", "--rm", "--network", "none", "busybox", "echo", "ran"); r.code != 0 || r.stdout != "ran\n" {
		t.Fatalf("run without companion: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	id := strings.TrimSpace(e.runWith(bin, "run", "-d", "--network", "none", "busybox", "sleep", "100").stdout)
	if r := e.runWith(bin, "exec", id, "echo", "ran"); r.code != 0 || r.stdout != "ran\n" {
		t.Fatalf("exec without companion: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	e.run(0, "rm", "-f", id)
}

// An upgrade on disk does not break a running container's restarts: its
// monitor goes on starting the companion of its own build, which it
// opened at its start, not the new one now beside the binary.
func TestInsideUpgradeKeepsMonitorsCompanion(t *testing.T) {
	e := newEnv(t)
	bin := installCopy(t, "mydocker", "mydocker-init", "mydocker-inside", "mydocker-kube")
	id := strings.TrimSpace(e.runWith(bin, "run", "-d", "--restart", "always", "--network", "none", "busybox", "sleep", "1").stdout)
	if id == "" {
		t.Fatal("run -d printed no ID")
	}
	// The upgrade: a new companion (another build ID) renamed over the old.
	build, _ := versionOf(t, binary)
	companion := filepath.Join(filepath.Dir(bin), "mydocker-inside")
	data, err := os.ReadFile(companion)
	if err != nil {
		t.Fatal(err)
	}
	next := companion + ".new"
	if err := os.WriteFile(next, bytes.ReplaceAll(data, []byte(build), []byte(strings.Repeat("y", len(build)))), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(next, companion); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two restarts after the upgrade", func() bool { return e.restartCount(id) >= 2 })
	if r := e.runWith(bin, "run", "--rm", "--network", "none", "busybox", "true"); r.code != 125 || !strings.Contains(r.stderr, "another build") {
		t.Fatalf("a new run with the old mydocker and the new companion: code %d, %q; want the build mismatch", r.code, r.stderr)
	}
	e.run(0, "rm", "-f", id)
}

// mydocker is built without the code that moves images (tag notransfer):
// a command that needs it runs mydocker-kube, the whole CLI, with the
// same command line, as play kube does. Without mydocker-kube beside it,
// each says so in one line, exits 125 and has read no image; with it,
// the same command lines work, and the whole program's output and exit
// code are the command's.
func TestTransferCommandsRunWholeProgram(t *testing.T) {
	e := newEnv(t)
	lean := installCopy(t, "mydocker", "mydocker-init", "mydocker-inside", "mydocker-monitor")
	archive := filepath.Join(t.TempDir(), "busybox.tar")
	for _, args := range [][]string{
		// The root's blog tar is new: reading it needs the whole CLI.
		{"run", "--rm", "--network", "none", "busybox", "echo", "ran"},
		{"images"},
		{"pull", "127.0.0.1:1/nothing"},
		{"save", "-o", archive, "busybox"},
		{"load", "-i", archive},
		{"import", archive, "imported:1"},
		{"commit", "nosuch", "committed:1"},
		{"logout", "127.0.0.1:1"},
	} {
		r := e.runWith(lean, args...)
		if r.code != 125 || strings.Contains(r.stdout, "ran") || !strings.Contains(r.stderr, "mydocker-kube is not beside") ||
			strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v without mydocker-kube: exit %d, stdout %q, stderr %q; want 125 and one line naming it", args, r.code, r.stdout, r.stderr)
		}
	}
	e.assertNothingLeft()
	if entries, _ := os.ReadDir(filepath.Join(e.root, "layers", "sha256")); len(entries) != 0 {
		t.Errorf("layers read without mydocker-kube: %d", len(entries))
	}

	whole := installCopy(t, "mydocker", "mydocker-init", "mydocker-inside", "mydocker-monitor", "mydocker-kube")
	if r := e.runWith(whole, "run", "--rm", "--network", "none", "busybox", "echo", "ran"); r.code != 0 || r.stdout != "ran\n" {
		t.Fatalf("first run of the blog tar: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// Read once, the image runs without the whole CLI.
	if r := e.runWith(lean, "run", "--rm", "--network", "none", "busybox", "echo", "ran"); r.code != 0 || r.stdout != "ran\n" {
		t.Fatalf("second run, without mydocker-kube: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := e.runWith(whole, "save", "-o", archive, "busybox"); r.code != 0 {
		t.Fatalf("save: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := e.runWith(whole, "load", "-i", archive); r.code != 0 || !strings.Contains(r.stdout, "busybox") {
		t.Fatalf("load: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// A failure of the whole CLI is the command's: its one line, its code.
	r := e.runWith(whole, "pull", "127.0.0.1:1/nothing")
	if r.code != 125 || !strings.HasPrefix(r.stderr, "mydocker: ") || strings.Contains(r.stderr, "not beside") ||
		strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("failed pull: exit %d, stderr %q; want 125 and the pull's one line", r.code, r.stderr)
	}
}
