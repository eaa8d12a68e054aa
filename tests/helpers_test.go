// Package tests drives the real ./mydocker binary as root against a
// temporary state root per test: real namespaces, mounts and cgroups.
package tests

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// binary is the mydocker under test, built by `make test` at the repo root.
var binary = func() string {
	p, err := filepath.Abs("../mydocker")
	if err != nil {
		panic(err)
	}
	return p
}()

var (
	imageOnce sync.Once
	imageDir  string
	imageTar  string
	imageErr  error
)

// TestMain removes the shared image and probe directories after every
// test has run.
func TestMain(m *testing.M) {
	start := time.Now()
	code := m.Run()
	if leakedCgroups(start) {
		code = 1
	}
	// debianTar's directory is made by debianImageTar, only if a test
	// needed the Debian rootfs.
	debianDir := ""
	if debianTar != "" {
		debianDir = filepath.Dir(debianTar)
	}
	for _, dir := range []string{imageDir, helperDir, debianDir} {
		if dir == "" {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintln(os.Stderr, "remove test directory:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// copyTarEntries writes every entry of the tar file src, header and
// content, to tw: the start of an image the test extends.
func copyTarEntries(t *testing.T, tw *tar.Writer, src string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			t.Fatal(err)
		}
	}
}

// busyboxTar builds the busybox image once per test binary.
func busyboxTar(t *testing.T) string {
	t.Helper()
	imageOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mydocker-image-")
		if err != nil {
			imageErr = err
			return
		}
		imageDir = dir
		out, err := exec.Command("sh", "../scripts/make-busybox-image.sh", dir).CombinedOutput()
		if err != nil {
			imageErr = fmt.Errorf("make busybox image: %v: %s", err, out)
			return
		}
		imageTar = filepath.Join(dir, "image", "busybox.tar")
	})
	if imageErr != nil {
		t.Fatal(imageErr)
	}
	return imageTar
}

// env is one test's private mydocker installation: its own state root
// with the busybox image in it.
type env struct {
	t    *testing.T
	root string

	mu      sync.Mutex
	seenIDs map[string]bool // every container ID seen under root, for the leak check
	bridges map[string]bool // every bridge of this root's networks
	// extraEnv is added to every mydocker's environment (course mode).
	extraEnv []string
}

// newEnv makes a state root for t and removes it afterwards, failing the
// test if anything is still mounted under it (a leak), and cleaning up
// even then so the next test starts clean.
func newEnv(t *testing.T) *env {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("end-to-end tests need root (they create namespaces and mounts); run `sudo make test`")
	}
	if _, err := os.Stat(binary); err != nil {
		t.Fatalf("%s not built: run `make test` (%v)", binary, err)
	}
	root, err := os.MkdirTemp("", "mydocker-test-")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, root: root, seenIDs: map[string]bool{}, bridges: map[string]bool{}}
	if err := os.MkdirAll(filepath.Join(root, "image"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(busyboxTar(t), filepath.Join(root, "image", "busybox.tar")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.cleanup() })
	return e
}

func (e *env) cleanup() {
	// Kill and remove every container the test left, then check for leaks.
	e.killContainers()
	// Pods first: rm refuses their infra containers.
	if pods, _ := filepath.Glob(filepath.Join(e.root, "pods", "*", "pod.json")); len(pods) > 0 {
		args := []string{"pod", "rm", "-f"}
		for _, p := range pods {
			args = append(args, filepath.Base(filepath.Dir(p)))
		}
		if out, err := e.exec(nil, args...); err != nil || out.code != 0 {
			e.t.Errorf("cleanup pod rm -f: %v %s", err, out.stderr)
		}
	}
	if ids := e.containerIDs(); len(ids) > 0 {
		if out, err := e.exec(nil, append([]string{"rm", "-f"}, ids...)...); err != nil || out.code != 0 {
			e.t.Errorf("cleanup rm -f: %v %s", err, out.stderr)
		}
	}
	e.noteState()
	e.removeNetworks()
	e.assertNoLeftovers()
	mounts := mountsUnder(e.t, e.root)
	if len(mounts) > 0 {
		e.t.Errorf("mounts left under %s: %v", e.root, mounts)
		for _, m := range mounts {
			if err := unix.Unmount(m, unix.MNT_DETACH); err != nil {
				e.t.Errorf("unmount %s: %v", m, err)
			}
		}
	}
	if len(mountsUnder(e.t, e.root)) == 0 {
		if err := os.RemoveAll(e.root); err != nil {
			e.t.Errorf("remove %s: %v", e.root, err)
		}
	}
}

// killContainers SIGKILLs any container process still recorded as running,
// so a failed test never leaves processes behind.
func (e *env) killContainers() {
	dirs, _ := filepath.Glob(filepath.Join(e.root, "containers", "*", "config.json"))
	for _, p := range dirs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var rec struct{ State struct{ Pid, MonitorPid int } }
		if json.Unmarshal(data, &rec) == nil && rec.State.Pid > 0 {
			unix.Kill(rec.State.Pid, unix.SIGKILL)
		}
	}
}

func mountsUnder(t *testing.T, dir string) []string {
	infos, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range infos {
		out = append(out, m.Mountpoint)
	}
	return out
}

type result struct {
	stdout, stderr string
	code           int
}

// cmd prepares ./mydocker with this env's root.
func (e *env) cmd(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, binary, args...)
	c.Env = append(append(os.Environ(), "MYDOCKER_ROOT="+e.root), e.extraEnv...)
	c.WaitDelay = 5 * time.Second
	return c
}

// exec runs mydocker with stdin (nil: none) and returns its output and
// exit code; err is set only if it could not run or timed out.
func (e *env) exec(stdin []byte, args ...string) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := e.cmd(ctx, args...)
	if stdin != nil {
		c.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	e.noteState()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
		err = nil
	}
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return r, err
}

// run runs mydocker and fails the test unless it exits with want.
func (e *env) run(want int, args ...string) result {
	e.t.Helper()
	return e.runIn(nil, want, args...)
}

func (e *env) runIn(stdin []byte, want int, args ...string) result {
	e.t.Helper()
	r, err := e.exec(stdin, args...)
	if err != nil {
		e.t.Fatalf("mydocker %q: %v\nstderr: %s", args, err, r.stderr)
	}
	if r.code != want {
		e.t.Fatalf("mydocker %q: exit %d, want %d\nstdout: %s\nstderr: %s", args, r.code, want, r.stdout, r.stderr)
	}
	return r
}

// ok runs mydocker expecting success and returns trimmed stdout.
func (e *env) ok(args ...string) string {
	e.t.Helper()
	return strings.TrimSpace(e.run(0, args...).stdout)
}

// containerIDs lists the record directories under the root.
func (e *env) containerIDs() []string {
	entries, err := os.ReadDir(filepath.Join(e.root, "containers"))
	if err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	var ids []string
	for _, en := range entries {
		if en.IsDir() && !strings.HasPrefix(en.Name(), ".") {
			ids = append(ids, en.Name())
		}
	}
	return ids
}

// record reads a container's config.json.
func (e *env) record(id string) map[string]any {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.root, "containers", id, "config.json"))
	if err != nil {
		e.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// assertNothingLeft checks a failed or removed run left no record,
// workspace or mount.
func (e *env) assertNothingLeft() {
	e.t.Helper()
	if ids := e.containerIDs(); len(ids) > 0 {
		e.t.Errorf("records left: %v", ids)
	}
	if entries, err := os.ReadDir(filepath.Join(e.root, "overlay2")); err == nil && len(entries) > 0 {
		e.t.Errorf("workspaces left: %d", len(entries))
	}
	if m := mountsUnder(e.t, e.root); len(m) > 0 {
		e.t.Errorf("mounts left: %v", m)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// removeNetworks removes every network of this root (the default one too)
// once its containers are gone.
func (e *env) removeNetworks() {
	r, err := e.exec(nil, "network", "ls")
	if err != nil || r.code != 0 {
		e.t.Errorf("cleanup network ls: %v %s", err, r.stderr)
		return
	}
	names := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		if f := strings.Fields(l); len(f) > 0 {
			names[f[0]] = true
		}
	}
	// network ls leaves out what it cannot read; network rm removes it.
	files, _ := filepath.Glob(filepath.Join(e.root, "network", "networks", "*.json"))
	for _, p := range files {
		names[strings.TrimSuffix(filepath.Base(p), ".json")] = true
	}
	for name := range names {
		if out, err := e.exec(nil, "network", "rm", name); err != nil || out.code != 0 {
			e.t.Errorf("cleanup network rm %s: %v %s", name, err, out.stderr)
		}
	}
}
