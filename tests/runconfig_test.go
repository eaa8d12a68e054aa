package tests

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// imgFile is a file the test image adds over busybox: a regular file with
// body, or a symlink to link.
type imgFile struct {
	path, body, link string
}

// The accounts of the test images: alice is in two groups besides her own.
var testAccounts = []imgFile{
	{path: "etc/passwd", body: "root:x:0:0:root:/root:/bin/sh\n" +
		"alice:x:1000:1000:Alice:/home/alice:/bin/sh\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
	{path: "etc/group", body: "root:x:0:\nwheel:x:10:alice\naudio:x:29:root,alice\nalice:x:1000:\nnogroup:x:65534:\n"},
}

// loadImage builds a docker-archive of busybox plus files with cfg as its
// config, and loads it into e's store as ref:latest with `mydocker load`.
func (e *env) loadImage(ref string, cfg v1.Config, files ...imgFile) {
	t := e.t
	t.Helper()
	base, err := tarball.LayerFromFile(busyboxTar(t))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.path, Mode: 0o644, ModTime: time.Unix(1e9, 0), Typeflag: tar.TypeReg, Size: int64(len(f.body))}
		if f.link != "" {
			h.Typeflag, h.Linkname, h.Size, h.Mode = tar.TypeSymlink, f.link, 0, 0o777
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layers := []v1.Layer{base}
	if len(files) > 0 {
		extra, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(buf.Bytes())), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, extra)
	}
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	if img, err = mutate.Config(img, cfg); err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(ref + ":latest")
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "image.tar")
	if err := tarball.WriteToFile(archive, tag, img); err != nil {
		t.Fatal(err)
	}
	e.ok("load", "-q", "-i", archive)
}

// failsWith checks a failed mydocker said one line containing want and
// left nothing behind.
func (e *env) failsWith(r result, want string) {
	e.t.Helper()
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], want) {
		e.t.Errorf("stderr should be one line with %q, got %q", want, r.stderr)
	}
	e.assertNothingLeft()
}

func TestImageEntrypointAndCmd(t *testing.T) {
	e := newEnv(t)
	e.loadImage("rc-ep", v1.Config{Entrypoint: []string{"/bin/echo", "ep"}, Cmd: []string{"default"}})
	e.loadImage("rc-cmd", v1.Config{Cmd: []string{"echo", "from-cmd"}})
	e.loadImage("rc-nocmd", v1.Config{Env: []string{"PATH=/bin", "A=1"}})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rc-ep"}, "ep default"},
		{[]string{"rc-ep", "a", "b"}, "ep a b"},
		// --entrypoint drops the image's Cmd, as Docker does.
		{[]string{"--entrypoint", "/bin/echo", "rc-ep"}, ""},
		{[]string{"--entrypoint", "/bin/echo", "rc-ep", "x", "y"}, "x y"},
		{[]string{"--entrypoint", "", "rc-ep", "echo", "cleared"}, "cleared"},
		{[]string{"rc-cmd"}, "from-cmd"},
		{[]string{"rc-cmd", "echo", "replaced"}, "replaced"},
		{[]string{"--entrypoint", "echo", "rc-cmd", "own"}, "own"},
	} {
		if got := e.ok(append([]string{"run", "--rm"}, tc.args...)...); got != tc.want {
			t.Errorf("run %q: %q, want %q", tc.args, got, tc.want)
		}
	}
	// Nothing to run at all: Docker's one-line error, exit 125.
	e.failsWith(e.run(125, "run", "--rm", "--entrypoint", "", "rc-ep"), "no command specified")
	e.failsWith(e.run(125, "run", "--rm", "rc-nocmd"), "no command specified")
	// The blog's plain busybox tar still starts a shell.
	if got := strings.TrimSpace(e.runIn([]byte("echo from-stdin\n"), 0, "run", "--rm", "-i", "busybox").stdout); got != "from-stdin" {
		t.Errorf("run -i busybox: %q", got)
	}
	// ps shows the whole command line, entrypoint first.
	e.ok("run", "-d", "--name", "ps-ep", "--entrypoint", "sleep", "rc-cmd", "1000")
	if out := e.ok("ps"); !strings.Contains(out, "sleep 1000") {
		t.Errorf("ps: %q", out)
	}
	e.ok("rm", "-f", "ps-ep")
}

func TestImageEnvAndWorkdir(t *testing.T) {
	e := newEnv(t)
	e.loadImage("rc-env", v1.Config{
		Env:        []string{"PATH=/bin:/usr/bin", "A=img", "B=img"},
		WorkingDir: "/srv/app",
		Cmd:        []string{"sh", "-c", `echo "$A $B $C"; echo "$PATH"; pwd`},
	})
	if got := e.ok("run", "--rm", "rc-env"); got != "img img \n/bin:/usr/bin\n/srv/app" {
		t.Errorf("image env and workdir: %q", got)
	}
	if got := e.ok("run", "--rm", "-e", "B=cli", "-e", "C=cli", "-e", "PATH=/usr/bin:/bin:/x", "-w", "/tmp", "rc-env"); got != "img cli cli\n/usr/bin:/bin:/x\n/tmp" {
		t.Errorf("-e and -w over the image: %q", got)
	}
	// exec gets the container's env and workdir too.
	e.ok("run", "-d", "--name", "envc", "rc-env", "sleep", "1000")
	if got := e.ok("exec", "envc", "sh", "-c", `echo "$A $B"; pwd`); got != "img img\n/srv/app" {
		t.Errorf("exec: %q", got)
	}
	e.ok("rm", "-f", "envc")
}

func TestImageUser(t *testing.T) {
	e := newEnv(t)
	e.loadImage("rc-user", v1.Config{Cmd: []string{"true"}}, testAccounts...)
	e.loadImage("rc-alice", v1.Config{User: "alice", Cmd: []string{"sleep", "1000"}}, testAccounts...)
	const probe = `echo $(id -u) $(id -g) "$(id -G)" $HOME`
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rc-user"}, "0 0 0 29 /root"},
		{[]string{"-u", "1000:1000", "rc-user"}, "1000 1000 1000 /home/alice"},
		{[]string{"-u", "alice", "rc-user"}, "1000 1000 1000 10 29 /home/alice"},
		{[]string{"--user", "nobody", "rc-user"}, "65534 65534 65534 /nonexistent"},
		{[]string{"-u", "alice:nogroup", "rc-user"}, "1000 65534 65534 /home/alice"},
		// A number with no passwd entry: gid 0, HOME /.
		{[]string{"-u", "4242", "rc-user"}, "4242 0 0 /"},
		// The image's User, and -u over it.
		{[]string{"rc-alice"}, "1000 1000 1000 10 29 /home/alice"},
		{[]string{"-u", "0", "rc-alice"}, "0 0 0 29 /root"},
		{[]string{"-e", "HOME=/mine", "rc-alice"}, "1000 1000 1000 10 29 /mine"},
		// busybox's own passwd, from the blog tar.
		{[]string{"-u", "nobody", "busybox"}, "65534 65534 65534 /nonexistent"},
	} {
		args := append(append([]string{"run", "--rm"}, tc.args...), "sh", "-c", probe)
		if got := e.ok(args...); got != tc.want {
			t.Errorf("run %q: %q, want %q", tc.args, got, tc.want)
		}
	}
	e.failsWith(e.run(125, "run", "--rm", "-u", "mallory", "rc-user"), "unable to find user mallory")
	e.failsWith(e.run(125, "run", "--rm", "-u", "alice:nogood", "rc-user"), "unable to find group nogood")
	e.failsWith(e.run(125, "run", "--rm", "-u", "a:b:c", "rc-user"), "invalid user")

	// A non-root user has no capabilities, and keeps the bounding set, as
	// in Docker; root keeps Docker's defaults.
	out := e.ok("run", "--rm", "-u", "1000", "rc-user", "grep", "^Cap", "/proc/self/status")
	if capLine(out, "CapEff") != "0000000000000000" || capLine(out, "CapPrm") != "0000000000000000" ||
		capLine(out, "CapInh") != "0000000000000000" || capLine(out, "CapBnd") != dockerDefaultCaps {
		t.Errorf("capabilities of uid 1000:\n%s", out)
	}
	// Even with CAP_SETUID and CAP_SETGID dropped, the switch happens.
	if got := e.ok("run", "--rm", "--cap-drop", "ALL", "-u", "alice", "rc-user", "sh", "-c", probe); got != "1000 1000 1000 10 29 /home/alice" {
		t.Errorf("--cap-drop ALL -u alice: %q", got)
	}
	// A non-root user cannot write root's files in the image.
	if got := e.ok("run", "--rm", "-u", "alice", "rc-user", "sh", "-c", "echo x >> /etc/passwd 2>/dev/null && echo wrote || echo denied"); got != "denied" {
		t.Errorf("uid 1000 writing /etc/passwd: %q", got)
	}

	// exec runs as the container's user unless -u says otherwise.
	e.ok("run", "-d", "--name", "alicec", "rc-alice")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "1000 1000 1000 10 29 /home/alice"},
		{[]string{"-u", "0"}, "0 0 0 29 /root"},
		{[]string{"-u", "nobody"}, "65534 65534 65534 /nonexistent"},
		{[]string{"--user", "4242:7"}, "4242 7 7 /"},
	} {
		args := append(append([]string{"exec"}, tc.args...), "alicec", "sh", "-c", probe)
		if got := e.ok(args...); got != tc.want {
			t.Errorf("exec %q: %q, want %q", tc.args, got, tc.want)
		}
	}
	r := e.run(125, "exec", "-u", "mallory", "alicec", "true")
	if !strings.Contains(r.stderr, "unable to find user mallory") {
		t.Errorf("exec -u mallory: %q", r.stderr)
	}
	// Started again, its first process (owner of /proc/1) and exec are
	// still the image's user.
	e.ok("stop", "-t", "0", "alicec")
	e.ok("start", "alicec")
	if got := e.ok("exec", "alicec", "sh", "-c", "echo $(id -u) $(stat -c %u /proc/1)"); got != "1000 1000" {
		t.Errorf("after start: %q", got)
	}
	e.ok("rm", "-f", "alicec")
}

// The image decides what /etc/passwd is, a symlink too. Followed on the
// host through the rootfs path, /etc/passwd -> /../../etc/shadow is the
// host's shadow file (where nobody's uid field is a date); resolved inside
// the container, it is the image's own /etc/shadow.
func TestImageUserResolvedInside(t *testing.T) {
	e := newEnv(t)
	e.loadImage("rc-evil", v1.Config{Cmd: []string{"true"}},
		imgFile{path: "etc/passwd", link: "/../../../../../../etc/shadow"},
		imgFile{path: "etc/group", link: "../../../../../../etc/gshadow"},
		imgFile{path: "etc/shadow", body: "nobody:x:4242:4243:decoy:/decoy:/bin/sh\n"},
		imgFile{path: "etc/gshadow", body: "decoy:x:77:nobody\n"})
	if got := e.ok("run", "--rm", "-u", "nobody", "rc-evil", "sh", "-c", `echo $(id -u) $(id -G) $HOME`); got != "4242 4243 77 /decoy" {
		t.Errorf("-u nobody through a symlinked passwd: %q, want the image's decoy entry", got)
	}
	// A passwd that never ends, or that blocks, is refused, not read.
	e.loadImage("rc-zero", v1.Config{Cmd: []string{"true"}}, imgFile{path: "etc/passwd", link: "/dev/zero"})
	e.failsWith(e.run(125, "run", "--rm", "-u", "nobody", "rc-zero"), "not a regular file")
	// Numbers and the default user need no passwd: they still run. (Not
	// probed with id, which would read /dev/zero itself.)
	const ids = `echo $(grep -E '^(Uid|Gid):' /proc/self/status) $HOME`
	if got := e.ok("run", "--rm", "-u", "5:6", "rc-zero", "sh", "-c", ids); got != "Uid: 5 5 5 5 Gid: 6 6 6 6 /" {
		t.Errorf("-u 5:6 without a usable passwd: %q", got)
	}
	if got := e.ok("run", "--rm", "rc-zero", "sh", "-c", ids); got != "Uid: 0 0 0 0 Gid: 0 0 0 0 /" {
		t.Errorf("root without a usable passwd: %q", got)
	}
}

func TestImageStopSignal(t *testing.T) {
	e := newEnv(t)
	trap := `for s in TERM USR1 HUP; do trap "echo got-$s; exit 0" $s; done; echo ready; while :; do sleep 0.1; done`
	e.loadImage("rc-stop", v1.Config{StopSignal: "SIGUSR1", Cmd: []string{"sh", "-c", trap}})
	stopped := func(want string, args ...string) {
		t.Helper()
		id := e.ok(append([]string{"run", "-d"}, args...)...)
		waitFor(t, "the trap", func() bool { return strings.Contains(e.ok("logs", id), "ready") })
		e.ok("stop", id)
		if got := e.ok("logs", id); got != "ready\n"+want {
			t.Errorf("run %q, stop: output %q, want %q", args, got, "ready\n"+want)
		}
		e.ok("rm", id)
	}
	stopped("got-USR1", "rc-stop")
	stopped("got-HUP", "--stop-signal", "hup", "rc-stop")
	stopped("got-TERM", "busybox", "sh", "-c", trap)
	stopped("got-HUP", "--stop-signal", "1", "busybox", "sh", "-c", trap)
	e.failsWith(e.run(125, "run", "--rm", "--stop-signal", "SIGNOPE", "busybox", "true"), "SIGNOPE")
}

func TestInspectShowsImageConfig(t *testing.T) {
	e := newEnv(t)
	e.loadImage("rc-insp", v1.Config{
		Entrypoint:   []string{"/bin/sh", "-c"},
		Cmd:          []string{"sleep 1000"},
		Env:          []string{"PATH=/bin", "A=img"},
		WorkingDir:   "/srv",
		User:         "alice",
		StopSignal:   "SIGQUIT",
		ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {}},
	}, testAccounts...)
	id := e.ok("run", "-d", "-e", "B=cli", "rc-insp")
	var recs []struct {
		ImageID string
		Config  map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(e.ok("inspect", id)), &recs); err != nil || len(recs) != 1 {
		t.Fatalf("inspect: %v", err)
	}
	want := map[string]string{
		"Entrypoint":   `["/bin/sh","-c"]`,
		"Cmd":          `["sleep 1000"]`,
		"Env":          `["PATH=/bin","A=img","B=cli"]`,
		"WorkingDir":   `"/srv"`,
		"User":         `"alice"`,
		"StopSignal":   `"SIGQUIT"`,
		"ExposedPorts": `{"53/udp":{},"80/tcp":{}}`,
	}
	for k, v := range want {
		var got, exp any
		json.Unmarshal(recs[0].Config[k], &got)
		json.Unmarshal([]byte(v), &exp)
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("inspect Config.%s = %s, want %s", k, recs[0].Config[k], v)
		}
	}
	var imgs []struct{ Id string }
	if err := json.Unmarshal([]byte(e.ok("image", "inspect", "rc-insp")), &imgs); err != nil || len(imgs) != 1 {
		t.Fatalf("image inspect: %v", err)
	}
	if !strings.HasPrefix(recs[0].ImageID, "sha256:") || recs[0].ImageID != imgs[0].Id {
		t.Errorf("inspect ImageID %q, want the image's Id %q", recs[0].ImageID, imgs[0].Id)
	}
	e.ok("rm", "-f", id)
}

// --pull decides whether run talks to the registry: a listener on
// loopback stands in for one and counts connections.
func TestRunPullPolicy(t *testing.T) {
	e := newEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	remote := ln.Addr().String() + "/rc/pulled"
	e.failsWith(e.run(125, "run", "--rm", "--pull", "never", remote, "true"), "rc/pulled")
	if n := conns.Load(); n != 0 {
		t.Errorf("--pull never contacted the registry %d times", n)
	}
	e.failsWith(e.run(125, "run", "--rm", remote, "true"), "rc/pulled")
	if conns.Load() == 0 {
		t.Error("--pull missing did not try the registry for a missing image")
	}
	// Present locally: missing does not pull, always does.
	e.loadImage("rc-local", v1.Config{Cmd: []string{"echo", "local"}})
	e.ok("tag", "rc-local", remote)
	before := conns.Load()
	if got := e.ok("run", "--rm", remote); got != "local" {
		t.Errorf("run of a local image: %q", got)
	}
	if got := e.ok("run", "--rm", "--pull", "never", remote); got != "local" {
		t.Errorf("--pull never of a local image: %q", got)
	}
	if n := conns.Load(); n != before {
		t.Errorf("a local image was pulled (%d connections)", n-before)
	}
	e.failsWith(e.run(125, "run", "--rm", "--pull", "always", remote), "rc/pulled")
	if conns.Load() == before {
		t.Error("--pull always did not contact the registry")
	}
	// The blog's tar is found, never pulled.
	before = conns.Load()
	e.ok("run", "--rm", "busybox", "true")
	if conns.Load() != before {
		t.Error("the blog busybox tar was pulled")
	}
	e.failsWith(e.run(125, "run", "--rm", "--pull", "sometimes", "busybox", "true"), "--pull")
}
