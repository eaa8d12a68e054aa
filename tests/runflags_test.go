package tests

import (
	"archive/tar"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"
)

// Run flags and volumes (issue 15, part 4): named and anonymous volumes,
// --mount, --tmpfs, --read-only, --shm-size, --group-add, --env-file,
// --ulimit, --cidfile, --stop-timeout and the environment Docker sets.

// volumeNames lists the volume directories under e's root, half-made
// ones included: what a failure may have left.
func (e *env) volumeNames() []string {
	e.t.Helper()
	entries, err := os.ReadDir(filepath.Join(e.root, "volumes"))
	if err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	var names []string
	for _, en := range entries {
		if en.IsDir() {
			names = append(names, en.Name())
		}
	}
	sort.Strings(names)
	return names
}

func (e *env) volumeData(name string) string {
	return filepath.Join(e.root, "volumes", name, "_data")
}

// oneLine checks a failed command said one line containing want on
// stderr and nothing on stdout.
func flagsOneLine(t *testing.T, r result, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], want) {
		t.Errorf("stderr should be one line with %q, got %q", want, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestVolumeCommands(t *testing.T) {
	e := newEnv(t)
	if got := e.ok("volume", "create", "data"); got != "data" {
		t.Fatalf("volume create printed %q", got)
	}
	// Creating it again is fine and keeps it, as Docker.
	if err := os.WriteFile(filepath.Join(e.volumeData("data"), "keep"), []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.ok("volume", "create", "data")
	if b, err := os.ReadFile(filepath.Join(e.volumeData("data"), "keep")); err != nil || string(b) != "kept" {
		t.Fatalf("create of an existing volume touched its data: %q %v", b, err)
	}
	random := e.ok("volume", "create", "--label", "a=b")
	if !hex64.MatchString(random) {
		t.Fatalf("a volume without a name got %q, want 64 hex digits", random)
	}
	// Sorted by name, as Docker lists them.
	first, second := random, "data"
	if second < first {
		first, second = second, first
	}
	if got := strings.Fields(e.ok("volume", "ls", "-q")); len(got) != 2 || got[0] != first || got[1] != second {
		t.Fatalf("volume ls -q = %q", got)
	}
	ls := e.ok("volume", "ls")
	if !regexp.MustCompile(`(?m)^DRIVER\s+VOLUME NAME\nlocal\s+` + first + `\nlocal\s+` + second + `$`).MatchString(ls) {
		t.Fatalf("volume ls:\n%s", ls)
	}
	var vols []struct {
		Name, Driver, Mountpoint, CreatedAt string
		Labels                              map[string]string
	}
	if err := json.Unmarshal([]byte(e.ok("volume", "inspect", random)), &vols); err != nil || len(vols) != 1 {
		t.Fatalf("volume inspect: %v %+v", err, vols)
	}
	v := vols[0]
	if v.Name != random || v.Driver != "local" || v.Mountpoint != e.volumeData(random) || v.Labels["a"] != "b" || v.CreatedAt == "" {
		t.Fatalf("volume inspect = %+v", v)
	}
	if got := e.ok("volume", "rm", "data", random); got != "data\n"+random {
		t.Fatalf("volume rm printed %q", got)
	}
	if names := e.volumeNames(); len(names) != 0 {
		t.Fatalf("volumes left after rm: %v", names)
	}

	// Bad inputs: one line, nothing made or removed.
	e.ok("volume", "create", "other")
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"volume", "create", "../x"}, 125, "invalid volume name"},
		{[]string{"volume", "create", "a/b"}, 125, "invalid volume name"},
		{[]string{"volume", "create", "x"}, 125, "invalid volume name"},
		{[]string{"volume", "create", "a", "b"}, 125, "at most one"},
		{[]string{"volume", "create", "--driver", "nfs", "v2"}, 125, "nfs"},
		{[]string{"volume", "create", "--label", "=x", "v2"}, 125, "--label"},
		{[]string{"volume", "rm", "nosuch"}, 1, "no such volume: nosuch"},
		{[]string{"volume", "rm", ".."}, 1, "no such volume"},
		{[]string{"volume", "rm", "../volumes/other"}, 1, "no such volume"},
		{[]string{"volume", "rm"}, 125, "requires at least one NAME"},
		{[]string{"volume", "inspect", "nosuch"}, 1, "no such volume"},
		{[]string{"volume", "ls", "extra"}, 125, "no arguments"},
		{[]string{"volume", "ls", "--bogus"}, 125, "bogus"},
	} {
		r := e.run(tc.code, tc.args...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], tc.msg) {
			t.Errorf("%q: stderr should be one line with %q, got %q", tc.args, tc.msg, r.stderr)
		}
		if got := e.volumeNames(); len(got) != 1 || got[0] != "other" {
			t.Fatalf("%q: volumes now %v", tc.args, got)
		}
	}
	e.run(0, "volume", "rm", "-f", "nosuch")
}

// An image with content at /data, including symlinks that lead to a host
// file and a host directory if they were followed on the host.
func (e *env) loadDataImage(ref string, cfg v1.Config) (secretFile, secretDir string) {
	dir := e.t.TempDir()
	secretFile = filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte("HOST SECRET"), 0o600); err != nil {
		e.t.Fatal(err)
	}
	secretDir = filepath.Join(dir, "secretdir")
	if err := os.Mkdir(secretDir, 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(secretDir, "inner"), []byte("HOST SECRET"), 0o600); err != nil {
		e.t.Fatal(err)
	}
	e.loadImage(ref, cfg,
		imgFile{path: "data/hello", body: "from the image\n"},
		imgFile{path: "data/sub/deep", body: "deep\n"},
		imgFile{path: "data/tofile", link: secretFile},
		imgFile{path: "data/todir", link: secretDir},
		imgFile{path: "data/up", link: "../../../../../../" + secretFile},
	)
	return secretFile, secretDir
}

func TestVolumeNamedFilledFromImageOnce(t *testing.T) {
	e := newEnv(t)
	e.loadDataImage("withdata", v1.Config{})
	// First use creates the volume and fills it from the image.
	if got := e.ok("run", "--rm", "-v", "vol:/data", "withdata", "cat", "/data/hello", "/data/sub/deep"); got != "from the image\ndeep" {
		t.Fatalf("a new volume was not filled from the image: %q", got)
	}
	e.ok("run", "--rm", "-v", "vol:/data", "withdata", "sh", "-c", "rm /data/hello; echo mine > /data/new")
	// Not filled again: the volume's content is its own now, in any
	// image, at any path.
	if got := e.ok("run", "--rm", "-v", "vol:/data", "withdata", "ls", "/data"); strings.Contains(got, "hello") || !strings.Contains(got, "new") {
		t.Fatalf("volume refilled or lost: %q", got)
	}
	if got := e.ok("run", "--rm", "-v", "vol:/elsewhere", "busybox", "cat", "/elsewhere/new"); got != "mine" {
		t.Fatalf("data not kept: %q", got)
	}
	// nocopy, in both spellings: an empty volume stays empty.
	if got := e.ok("run", "--rm", "-v", "empty1:/data:nocopy", "withdata", "ls", "-A", "/data"); got != "" {
		t.Fatalf("nocopy volume filled: %q", got)
	}
	if got := e.ok("run", "--rm", "--mount", "type=volume,src=empty2,dst=/data,volume-nocopy", "withdata", "ls", "-A", "/data"); got != "" {
		t.Fatalf("volume-nocopy volume filled: %q", got)
	}
}

// The image controls what is copied into a new volume: its symlinks are
// copied as symlinks, never followed to the host's files.
func TestVolumeCopyUpNeverFollowsImageSymlinks(t *testing.T) {
	e := newEnv(t)
	secretFile, secretDir := e.loadDataImage("evil", v1.Config{})
	e.ok("run", "--rm", "-v", "loot:/data", "evil", "true")
	data := e.volumeData("loot")
	for name, want := range map[string]string{"tofile": secretFile, "todir": secretDir, "up": "../../../../../../" + secretFile} {
		p := filepath.Join(data, name)
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s was copied as a %v, not as the image's symlink", name, fi.Mode())
			continue
		}
		if got, _ := os.Readlink(p); got != want {
			t.Errorf("%s links to %q, want %q", name, got, want)
		}
	}
	err := filepath.Walk(data, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), "HOST SECRET") {
				t.Errorf("a host file was copied into the volume: %s", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// And from inside, the links lead nowhere on the host.
	r := e.run(1, "run", "--rm", "-v", "loot:/data", "busybox", "cat", "/data/tofile")
	if strings.Contains(r.stdout, "HOST SECRET") {
		t.Fatal("the container read a host file through the volume")
	}
}

func TestVolumeNeverRemovedWhileUsed(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "user1", "-v", "shared:/d", "busybox", "sh", "-c", "echo precious > /d/f; sleep 1000")
	waitFor(t, "the container's write", func() bool {
		_, err := os.Stat(filepath.Join(e.volumeData("shared"), "f"))
		return err == nil
	})
	r := e.run(1, "volume", "rm", "shared")
	flagsOneLine(t, r, "in use")
	// A stopped container still uses it, as in Docker.
	e.ok("stop", "-t", "0", "user1")
	r = e.run(1, "volume", "rm", "-f", "shared")
	flagsOneLine(t, r, "in use")
	if b, err := os.ReadFile(filepath.Join(e.volumeData("shared"), "f")); err != nil || string(b) != "precious\n" {
		t.Fatalf("volume data lost: %q %v", b, err)
	}
	// rm -v never removes a named volume.
	e.ok("rm", "-v", "user1")
	if got := e.volumeNames(); len(got) != 1 || got[0] != "shared" {
		t.Fatalf("rm -v touched a named volume: %v", got)
	}
	e.ok("volume", "rm", "shared")
	if got := e.volumeNames(); len(got) != 0 {
		t.Fatalf("volume rm left %v", got)
	}
}

func TestVolumeAnonymous(t *testing.T) {
	e := newEnv(t)
	e.loadDataImage("withvol", v1.Config{Volumes: map[string]struct{}{"/data": {}}, Cmd: []string{"sh"}})
	// The image's VOLUME gets an anonymous volume filled from the image;
	// -v /path another one.
	id := e.ok("run", "-d", "-v", "/scratch", "withvol", "sh", "-c", "cat /data/hello > /scratch/copy")
	e.waitExited(id)
	vols := e.volumeNames()
	if len(vols) != 2 || !hex64.MatchString(vols[0]) || !hex64.MatchString(vols[1]) {
		t.Fatalf("anonymous volumes = %v", vols)
	}
	found := false
	for _, v := range vols {
		if b, err := os.ReadFile(filepath.Join(e.volumeData(v), "copy")); err == nil && string(b) == "from the image\n" {
			found = true
		}
	}
	if !found {
		t.Fatal("the image's VOLUME was not filled, or -v /scratch not kept")
	}
	// An anonymous volume another container took by name stays; rm
	// without -v keeps them all.
	other := e.ok("run", "-d", "-v", vols[0]+":/x", "busybox", "sleep", "1000")
	e.ok("rm", id)
	if got := e.volumeNames(); len(got) != 2 {
		t.Fatalf("rm without -v removed volumes: %v", got)
	}
	id2 := e.ok("run", "-d", "-v", "/again", "-v", "named:/n", "busybox", "true")
	e.waitExited(id2)
	e.ok("rm", "-v", id2)
	got := e.volumeNames()
	if len(got) != 3 || !contains(got, "named") || !contains(got, vols[0]) || !contains(got, vols[1]) {
		t.Fatalf("rm -v: volumes now %v, want the named one and the two earlier", got)
	}
	e.ok("rm", "-f", "-v", other)
	// --rm removes the anonymous volumes too, as Docker.
	e.ok("run", "--rm", "-v", "/gone", "busybox", "true")
	if after := e.volumeNames(); len(after) != 3 {
		t.Fatalf("--rm left its anonymous volume: %v", after)
	}
}

// From inside a --read-only container: the root and everything in it
// cannot be written or remounted writable; --tmpfs and volumes can be.
func TestRunReadOnlyRootfs(t *testing.T) {
	e := newEnv(t)
	script := `for p in /x /etc/x /bin/x /root/x; do touch $p 2>/dev/null && echo "wrote $p"; done
mount -o remount,rw / 2>/dev/null && echo remounted
mount -o remount,bind,rw / 2>/dev/null && echo remounted-bind
touch /x 2>/dev/null && echo "wrote /x after remount"
touch /tmp/ok /vol/ok && echo writable`
	r := e.run(0, "run", "--rm", "--read-only", "--tmpfs", "/tmp", "-v", "/vol", "busybox", "sh", "-c", script)
	if got := strings.TrimSpace(r.stdout); got != "writable" {
		t.Fatalf("read-only rootfs: %q", got)
	}
	// Without the flag the same writes work: the test tells them apart.
	if got := e.ok("run", "--rm", "busybox", "sh", "-c", "touch /x /etc/x && echo wrote"); got != "wrote" {
		t.Fatalf("writable rootfs: %q", got)
	}
	// A --read-only container is read-only each time it starts.
	id := e.ok("run", "-d", "--read-only", "busybox", "sh", "-c", "touch /y 2>/dev/null && echo wrote; true")
	e.waitExited(id)
	e.ok("start", id)
	e.waitExited(id)
	if got := e.ok("logs", id); got != "" {
		t.Fatalf("read-only container wrote: %q", got)
	}
}

func TestRunTmpfs(t *testing.T) {
	e := newEnv(t)
	out := e.ok("run", "--rm", "--tmpfs", "/run:size=1m,mode=1770", "busybox", "sh", "-c",
		`grep " /run " /proc/mounts; stat -c %a /run`)
	if !strings.Contains(out, "tmpfs /run tmpfs rw,nosuid,nodev,noexec") || !strings.Contains(out, "size=1024k") || !strings.HasSuffix(out, "1770") {
		t.Fatalf("--tmpfs mount: %q", out)
	}
	// From inside: noexec by default, so a program dropped there does not
	// run; exec asks for it.
	drop := "cp /bin/busybox /t/true && /t/true"
	r := e.run(126, "run", "--rm", "--tmpfs", "/t", "busybox", "sh", "-c", drop)
	_ = r
	e.run(0, "run", "--rm", "--tmpfs", "/t:exec", "busybox", "sh", "-c", drop)
	// The data is the container's own, gone after it stops.
	id := e.ok("run", "-d", "--tmpfs", "/t", "busybox", "sh", "-c", "ls /t; echo x > /t/f")
	e.waitExited(id)
	e.ok("start", id)
	e.waitExited(id)
	if got := e.ok("logs", id); got != "" {
		t.Fatalf("tmpfs data survived a restart: %q", got)
	}
	// --mount type=tmpfs too.
	if got := e.ok("run", "--rm", "--mount", "type=tmpfs,dst=/m,tmpfs-size=2m", "busybox", "sh", "-c", `grep " /m " /proc/mounts`); !strings.Contains(got, "size=2048k") {
		t.Fatalf("--mount type=tmpfs: %q", got)
	}
}

func TestRunMountBind(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// From inside: a readonly bind cannot be written, nor remounted.
	out := e.ok("run", "--rm", "--mount", "type=bind,source="+dir+",target=/h,readonly", "busybox", "sh", "-c",
		"cat /h/f; echo x > /h/f 2>/dev/null && echo wrote; mount -o remount,rw /h 2>/dev/null && echo remounted; true")
	if out != "host" {
		t.Fatalf("readonly --mount: %q", out)
	}
	e.ok("run", "--rm", "--mount", "type=bind,src="+dir+",dst=/h", "busybox", "sh", "-c", "echo new > /h/f")
	if b, _ := os.ReadFile(filepath.Join(dir, "f")); string(b) != "new\n" {
		t.Fatalf("--mount bind not written: %q", b)
	}
	// A named volume through --mount is the same volume as through -v.
	e.ok("run", "--rm", "--mount", "type=volume,source=mv,target=/v", "busybox", "sh", "-c", "echo hi > /v/f")
	if got := e.ok("run", "--rm", "-v", "mv:/w:ro", "busybox", "cat", "/w/f"); got != "hi" {
		t.Fatalf("--mount volume: %q", got)
	}
}

func TestRunShmSize(t *testing.T) {
	e := newEnv(t)
	if got := e.ok("run", "--rm", "--shm-size", "3m", "busybox", "sh", "-c", `grep " /dev/shm " /proc/mounts`); !strings.Contains(got, "size=3072k") {
		t.Fatalf("--shm-size 3m: %q", got)
	}
	if got := e.ok("run", "--rm", "busybox", "sh", "-c", `grep " /dev/shm " /proc/mounts`); !strings.Contains(got, "size=65536k") {
		t.Fatalf("default /dev/shm: %q", got)
	}
}

func TestRunGroupAdd(t *testing.T) {
	e := newEnv(t)
	e.loadImage("accounts", v1.Config{Cmd: []string{"sh"}}, testAccounts...)
	if got := e.ok("run", "--rm", "--group-add", "audio", "--group-add", "4242", "accounts", "id", "-G"); got != "0 29 4242" {
		t.Fatalf("root with --group-add audio,4242: id -G = %q", got)
	}
	// Added to the user's own, for an explicit group too.
	if got := e.ok("run", "--rm", "-u", "alice", "--group-add", "4242", "accounts", "id", "-G"); got != "1000 10 29 4242" {
		t.Fatalf("alice with --group-add 4242: id -G = %q", got)
	}
	if got := e.ok("run", "--rm", "-u", "1000:1000", "--group-add", "wheel", "accounts", "id", "-G"); got != "1000 10" {
		t.Fatalf("1000:1000 with --group-add wheel: id -G = %q", got)
	}
	// And for exec'd processes, as Docker.
	id := e.ok("run", "-d", "--group-add", "audio", "accounts", "sleep", "1000")
	if got := e.ok("exec", id, "id", "-G"); got != "0 29" {
		t.Fatalf("exec in a --group-add container: id -G = %q", got)
	}
	e.ok("rm", "-f", id)
	r := e.run(125, "run", "--rm", "--group-add", "nosuchgroup", "accounts", "true")
	flagsOneLine(t, r, "nosuchgroup")
	e.assertNothingLeft()
}

func TestRunEnvFile(t *testing.T) {
	e := newEnv(t)
	f := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(f, []byte("# a comment\nA=from file\n\n  B=\"kept quoted\"\nFROM_CALLER\nUNSET_XYZ\nC=file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := e.cmd(t.Context(), "run", "--rm", "--env-file", f, "-e", "C=flag", "busybox", "env")
	c.Env = append(c.Env, "FROM_CALLER=caller")
	out, err := c.Output()
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Split(strings.TrimSpace(string(out)), "\n")
	for _, want := range []string{"A=from file", `B="kept quoted"`, "FROM_CALLER=caller", "C=flag"} {
		if !contains(env, want) {
			t.Errorf("env lacks %q: %q", want, env)
		}
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "UNSET_XYZ") || strings.HasPrefix(kv, "C=file") {
			t.Errorf("env has %q", kv)
		}
	}
}

// The environment Docker gives a container's processes: HOSTNAME, HOME
// from the user's passwd entry (/ when none), TERM=xterm with -t.
func TestRunDockerEnvironment(t *testing.T) {
	e := newEnv(t)
	e.loadImage("accounts", v1.Config{Cmd: []string{"sh"}}, testAccounts...)
	out := e.ok("run", "--rm", "--hostname", "box", "accounts", "env")
	env := strings.Split(out, "\n")
	for _, want := range []string{"HOSTNAME=box", "HOME=/root"} {
		if !contains(env, want) {
			t.Errorf("env lacks %q: %q", want, env)
		}
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "TERM=") {
			t.Errorf("TERM without -t: %q", kv)
		}
	}
	if got := e.ok("run", "--rm", "-u", "alice", "accounts", "sh", "-c", "echo $HOME"); got != "/home/alice" {
		t.Errorf("alice's HOME = %q", got)
	}
	if got := e.ok("run", "--rm", "-u", "4321", "accounts", "sh", "-c", "echo $HOME"); got != "/" {
		t.Errorf("HOME without a passwd entry = %q", got)
	}
	if got := e.ok("run", "--rm", "-e", "HOSTNAME=mine", "accounts", "sh", "-c", "echo $HOSTNAME"); got != "mine" {
		t.Errorf("-e HOSTNAME = %q", got)
	}
	// With -t, TERM=xterm; the output comes through the terminal.
	r := e.run(0, "run", "--rm", "-t", "busybox", "sh", "-c", "echo TERM=$TERM")
	if !strings.Contains(r.stdout, "TERM=xterm") {
		t.Errorf("-t: %q", r.stdout)
	}
	id := e.ok("run", "-d", "--hostname", "box", "busybox", "sleep", "1000")
	if got := e.ok("exec", id, "sh", "-c", "echo $HOSTNAME"); got != "box" {
		t.Errorf("exec HOSTNAME = %q", got)
	}
	e.ok("rm", "-f", id)
}

func TestRunUlimit(t *testing.T) {
	e := newEnv(t)
	out := e.ok("run", "--rm", "--ulimit", "nofile=100:200", "--ulimit", "core=0", "busybox", "sh", "-c",
		"ulimit -n; ulimit -Hn; ulimit -c")
	if out != "100\n200\n0" {
		t.Fatalf("--ulimit: %q", out)
	}
	// From inside: the hard limit cannot be raised (no CAP_SYS_RESOURCE).
	r := e.run(0, "run", "--rm", "--ulimit", "nofile=100:200", "busybox", "sh", "-c", "ulimit -Hn 300 2>/dev/null && echo raised; ulimit -Hn")
	if got := strings.TrimSpace(r.stdout); got != "200" {
		t.Fatalf("hard limit raised from inside: %q", got)
	}
	// Never above this host's hard limit.
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Max != unix.RLIM_INFINITY {
		r = e.run(125, "run", "--rm", "--ulimit", "nofile=1:"+strconv.FormatUint(lim.Max+1, 10), "busybox", "true")
		flagsOneLine(t, r, "above this host's hard limit")
		e.assertNothingLeft()
	}
}

func TestRunCidfile(t *testing.T) {
	e := newEnv(t)
	f := filepath.Join(t.TempDir(), "cid")
	id := e.ok("run", "-d", "--cidfile", f, "busybox", "true")
	if b, err := os.ReadFile(f); err != nil || string(b) != id {
		t.Fatalf("cidfile %q %v, want %s", b, err, id)
	}
	// An existing file is refused: it may be another container's.
	r := e.run(125, "run", "--cidfile", f, "busybox", "true")
	flagsOneLine(t, r, "container ID file found")
	if b, _ := os.ReadFile(f); string(b) != id {
		t.Fatalf("existing cidfile changed: %q", b)
	}
	e.ok("rm", "-f", id)
	e.assertNothingLeft()
	// A run that fails to start leaves no cidfile.
	f2 := filepath.Join(t.TempDir(), "cid2")
	e.run(127, "run", "--cidfile", f2, "busybox", "nosuchcommand")
	if _, err := os.Stat(f2); !os.IsNotExist(err) {
		t.Fatalf("cidfile left after a failed start: %v", err)
	}
	e.assertNothingLeft()
}

func TestRunStopTimeout(t *testing.T) {
	e := newEnv(t)
	// A container that ignores SIGTERM, with --stop-timeout 0: stop
	// kills it at once.
	id := e.ok("run", "-d", "--stop-timeout", "0", "busybox", "sh", "-c", `trap "" TERM; echo ready; while true; do sleep 1; done`)
	waitFor(t, "the trap", func() bool { return strings.Contains(e.ok("logs", id), "ready") })
	e.ok("stop", id)
	st := e.state(id)
	if st["ExitCode"] != float64(137) {
		t.Fatalf("exit code %v, want 137 (SIGKILL)", st["ExitCode"])
	}
	cfg := e.record(id)["Config"].(map[string]any)
	if cfg["StopTimeout"] != float64(0) {
		t.Fatalf("recorded StopTimeout %v", cfg["StopTimeout"])
	}
}

// Every bad input of these flags: exit 125, one line naming it, and
// nothing left: no record, mount or volume.
func TestRunFlagsBadInputs(t *testing.T) {
	e := newEnv(t)
	missing := filepath.Join(t.TempDir(), "missing")
	existing := filepath.Join(t.TempDir(), "cid")
	if err := os.WriteFile(existing, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	badEnv := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(badEnv, []byte("OK=1\nBAD KEY=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"-v", "../up:/x"}, "../up"},
		{[]string{"-v", "a/b:/x"}, "a/b"},
		{[]string{"-v", "/tmp:/x:nocopy"}, "nocopy"},
		{[]string{"-v", "vol:/x:ro,rw"}, "both ro and rw"},
		{[]string{"-v", "/"}, "cannot be /"},
		{[]string{"-v", "/a", "-v", "vol:/a"}, "duplicate"},
		{[]string{"--mount", "type=bind,src=" + missing + ",dst=/x"}, "does not exist"},
		{[]string{"--mount", "type=nfs,dst=/x"}, "nfs"},
		{[]string{"--mount", "src=/tmp"}, "target is required"},
		{[]string{"--mount", "type=volume,src=../x,dst=/x"}, "invalid volume name"},
		{[]string{"--mount", "type=bind,src=/tmp,dst=/x,bogus=1"}, "bogus"},
		{[]string{"--mount", "type=tmpfs,dst=/x,tmpfs-mode=9"}, "octal"},
		{[]string{"--tmpfs", "rel"}, "absolute"},
		{[]string{"--tmpfs", "/x:size=1m,mpol=interleave"}, "mpol"},
		{[]string{"--tmpfs", "/x:size=big"}, "big"},
		{[]string{"--tmpfs", "/x", "-v", "/tmp:/x"}, "duplicate"},
		{[]string{"--shm-size", "0"}, "--shm-size"},
		{[]string{"--shm-size", "lots"}, "--shm-size"},
		{[]string{"--group-add", "a:b"}, "--group-add"},
		{[]string{"--env-file", missing}, "--env-file"},
		{[]string{"--env-file", badEnv}, "BAD KEY"},
		{[]string{"--ulimit", "nofile"}, "--ulimit"},
		{[]string{"--ulimit", "bogus=1"}, "bogus"},
		{[]string{"--ulimit", "nofile=20:10"}, "above the hard limit"},
		{[]string{"--ulimit", "nofile=10", "--ulimit", "nofile=20"}, "twice"},
		{[]string{"--stop-timeout", "soon"}, "--stop-timeout"},
		{[]string{"--stop-timeout", "-5"}, "--stop-timeout"},
		{[]string{"--cidfile", existing}, "container ID file found"},
		{[]string{"--cidfile", ""}, "--cidfile"},
		{[]string{"--device", "/dev/nosuchdevice"}, "/dev/nosuchdevice"},
		{[]string{"--device", "/tmp"}, "not a device node"},
		{[]string{"--device", "/dev/null:/etc/null"}, "must be in /dev"},
		{[]string{"--device", "/dev/null:/dev/n:rwx"}, "rwx"},
		{[]string{"--device", "/dev/null:/dev/n", "--device", "/dev/zero:/dev/n"}, "twice"},
	}
	for _, tc := range cases {
		args := append(append([]string{"run", "--rm"}, tc.args...), "busybox", "true")
		r := e.run(125, args...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], tc.msg) {
			t.Errorf("%q: stderr should be one line with %q, got %q", tc.args, tc.msg, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("%q: stdout %q", tc.args, r.stdout)
		}
		e.assertNothingLeft()
		if v := e.volumeNames(); len(v) > 0 {
			t.Fatalf("%q: volumes left: %v", tc.args, v)
		}
	}
	// A start that fails after the volumes were made removes the
	// anonymous ones.
	r := e.run(127, "run", "-v", "/anon", "busybox", "nosuchcommand")
	flagsOneLine(t, r, "nosuchcommand")
	e.assertNothingLeft()
	if v := e.volumeNames(); len(v) > 0 {
		t.Fatalf("anonymous volume left after a failed start: %v", v)
	}
}

// zombies counts the zombie processes in container ref.
func (e *env) zombies(ref string) int {
	e.t.Helper()
	n := 0
	for _, l := range strings.Split(e.ok("exec", ref, "ps", "-o", "stat"), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "Z") {
			n++
		}
	}
	return n
}

// orphan makes a process in container ref whose parent is gone: it
// becomes pid 1's child, and a zombie unless pid 1 reaps it.
func (e *env) orphan(ref string) {
	e.t.Helper()
	e.ok("exec", ref, "sh", "-c", `sh -c true & exit 0`)
}

func TestRunInit(t *testing.T) {
	e := newEnv(t)
	// Without --init, a pid 1 that never waits (sleep) keeps the orphans
	// as zombies: the control for what follows.
	plain := e.ok("run", "-d", "busybox", "sleep", "1000")
	e.orphan(plain)
	waitFor(t, "a zombie under sleep as pid 1", func() bool { return e.zombies(plain) > 0 })
	e.ok("rm", "-f", plain)

	id := e.ok("run", "-d", "--init", "busybox", "sleep", "1000")
	for i := 0; i < 3; i++ {
		e.orphan(id)
	}
	waitFor(t, "the zombies to be reaped", func() bool { return e.zombies(id) == 0 })
	// pid 1 is the reaper, run from a sealed copy: nothing in the
	// container reaches a host file through it, and it holds no
	// descriptor but 0-2.
	out := e.ok("exec", id, "sh", "-c", `cat /proc/1/comm; readlink /proc/1/exe; ls /proc/1/fd | tr "\n" " "; echo x > /proc/1/exe 2>/dev/null && echo wrote; true`)
	lines := strings.Split(out, "\n")
	if len(lines) != 3 || lines[0] != "mydocker-init" || !strings.HasPrefix(lines[1], "/memfd:mydocker-init") || strings.TrimSpace(lines[2]) != "0 1 2" {
		t.Fatalf("pid 1 with --init: %q", out)
	}
	// Signals reach the command: stop's SIGTERM ends sleep (143), not
	// the SIGKILL after the timeout.
	e.ok("stop", id)
	if code := e.state(id)["ExitCode"]; code != float64(143) {
		t.Fatalf("--init container stopped with %v, want 143", code)
	}
	// The command's exit code, and Docker's codes for a command that
	// cannot run.
	e.run(7, "run", "--rm", "--init", "busybox", "sh", "-c", "exit 7")
	r := e.run(127, "run", "--rm", "--init", "busybox", "nosuchcommand")
	flagsOneLine(t, r, "nosuchcommand")
	e.run(0, "run", "--rm", "--init", "-u", "1000", "busybox", "true")
	// A trap in the command sees the signal.
	id2 := e.ok("run", "-d", "--init", "busybox", "sh", "-c", `trap "exit 9" TERM; echo ready; while true; do sleep 1; done`)
	waitFor(t, "the trap", func() bool { return strings.Contains(e.ok("logs", id2), "ready") })
	e.ok("stop", id2)
	if code := e.state(id2)["ExitCode"]; code != float64(9) {
		t.Fatalf("trap under --init: exit %v, want 9", code)
	}
}

// The device cgroup, from inside: CAP_MKNOD lets a container make a node
// for any host device, here the console's screen memory /dev/vcs (c 7:0),
// which the host itself can read; only the allow list says what may be
// opened.
func TestRunDeviceCgroup(t *testing.T) {
	e := newEnv(t)
	if b, err := exec.Command("head", "-c", "1", "/dev/vcs").CombinedOutput(); err != nil {
		t.Fatalf("the host cannot read /dev/vcs, the device this test guards: %v %s", err, b)
	}
	steal := `mknod /dev/stolen c 7 0 || exit 3; head -c 1 /dev/stolen > /dev/null`
	r := e.run(1, "run", "--rm", "busybox", "sh", "-c", steal)
	if !strings.Contains(r.stderr, "Operation not permitted") {
		t.Fatalf("reading a host device from a container: %q", r.stderr)
	}
	// exec'd processes are in the same cgroup.
	id := e.ok("run", "-d", "busybox", "sleep", "1000")
	r = e.run(1, "exec", id, "sh", "-c", steal)
	if !strings.Contains(r.stderr, "Operation not permitted") {
		t.Fatalf("reading a host device from exec: %q", r.stderr)
	}
	// The standard devices still work.
	out := e.ok("exec", id, "sh", "-c", `head -c 4 /dev/zero | od -An -tx1; head -c 1 /dev/urandom > /dev/null && echo random; echo x > /dev/null && echo null; echo x > /dev/full 2>/dev/null || echo full`)
	if strings.Join(strings.Fields(out), " ") != "00 00 00 00 random null full" {
		t.Fatalf("standard devices: %q", out)
	}
	e.ok("rm", "-f", id)
	// --device adds the node and its rule, for what its permissions say.
	out = e.run(1, "run", "--rm", "--device", "/dev/vcs:/dev/screen/0:r", "busybox", "sh", "-c",
		`stat -c "%t:%T %F" /dev/screen/0; head -c 1 /dev/screen/0 > /dev/null && echo read; echo x > /dev/screen/0`).stdout
	if strings.TrimSpace(out) != "7:0 character special file\nread" {
		t.Fatalf("--device /dev/vcs:/dev/screen/0:r: %q", out)
	}
	// --privileged allows every device, as Docker.
	e.run(0, "run", "--rm", "--privileged", "busybox", "sh", "-c", steal)
}

// health reads container ref's State.Health from inspect (nil: none).
func (e *env) health(ref string) map[string]any {
	e.t.Helper()
	h, _ := e.state(ref)["Health"].(map[string]any)
	return h
}

func (e *env) waitHealth(ref, status string) map[string]any {
	e.t.Helper()
	var h map[string]any
	waitFor(e.t, ref+" to be "+status, func() bool {
		h = e.health(ref)
		return h != nil && h["Status"] == status
	})
	return h
}

func TestRunHealthcheck(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "--hostname", "checked", "--health-cmd", "cat /tmp/ready && hostname",
		"--health-interval", "100ms", "--health-retries", "2", "busybox", "sleep", "1000")
	if h := e.health(id); h == nil || (h["Status"] != "starting" && h["Status"] != "unhealthy") {
		t.Fatalf("health right after start: %v", h)
	}
	h := e.waitHealth(id, "unhealthy")
	if h["FailingStreak"].(float64) < 2 {
		t.Fatalf("unhealthy with streak %v", h["FailingStreak"])
	}
	e.ok("exec", id, "touch", "/tmp/ready")
	h = e.waitHealth(id, "healthy")
	// The check ran inside the container: its hostname, its file.
	logs := h["Log"].([]any)
	last := logs[len(logs)-1].(map[string]any)
	if last["ExitCode"] != float64(0) || last["Output"] != "checked\n" {
		t.Fatalf("last check %v", last)
	}
	if len(logs) > 5 {
		t.Fatalf("%d log entries kept, want at most 5", len(logs))
	}
	e.ok("exec", id, "rm", "/tmp/ready")
	e.waitHealth(id, "unhealthy")
	e.ok("rm", "-f", id)

	// A check past its timeout is a failure, and is stopped.
	id = e.ok("run", "-d", "--health-cmd", "sleep 600", "--health-timeout", "200ms", "--health-interval", "100ms",
		"--health-retries", "1", "busybox", "sleep", "1000")
	h = e.waitHealth(id, "unhealthy")
	last = h["Log"].([]any)[0].(map[string]any)
	if last["ExitCode"] != float64(-1) || !strings.Contains(last["Output"].(string), "exceeded timeout") {
		t.Fatalf("timed-out check %v", last)
	}
	e.ok("rm", "-f", id)
}

func TestRunImageHealthcheck(t *testing.T) {
	e := newEnv(t)
	e.loadImage("checked", v1.Config{Cmd: []string{"sleep", "1000"}, Healthcheck: &v1.HealthConfig{
		Test: []string{"CMD", "true"}, Interval: 100 * time.Millisecond}})
	id := e.ok("run", "-d", "checked")
	e.waitHealth(id, "healthy")
	cfg := e.inspect(id)["Config"].(map[string]any)
	if hc, _ := cfg["Healthcheck"].(map[string]any); hc == nil || hc["Test"].([]any)[0] != "CMD" {
		t.Fatalf("Config.Healthcheck %v", cfg["Healthcheck"])
	}
	e.ok("rm", "-f", id)
	// A flag replaces the image's test; --no-healthcheck disables it.
	id = e.ok("run", "-d", "--health-cmd", "false", "--health-retries", "1", "checked")
	e.waitHealth(id, "unhealthy")
	e.ok("rm", "-f", id)
	id = e.ok("run", "-d", "--no-healthcheck", "checked")
	if h := e.health(id); h != nil {
		t.Fatalf("--no-healthcheck: health %v", h)
	}
	e.ok("rm", "-f", id)

	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--health-interval", "10"}, "--health-interval"},
		{[]string{"--health-timeout", "1us"}, "--health-timeout"},
		{[]string{"--health-start-period", "-1s"}, "--health-start-period"},
		{[]string{"--health-retries", "-1"}, "--health-retries"},
		{[]string{"--health-cmd", " "}, "--health-cmd"},
		{[]string{"--no-healthcheck", "--health-cmd", "true"}, "conflicts"},
	} {
		r := e.run(125, append(append([]string{"run", "--rm"}, tc.args...), "checked")...)
		flagsOneLine(t, r, tc.msg)
		e.assertNothingLeft()
	}
}

// Hard links among the image's files stay hard links in the volume they
// fill, instead of a copy per name.
func TestVolumeCopyUpKeepsHardLinks(t *testing.T) {
	e := newEnv(t)
	link := func() *tar.Header {
		return &tar.Header{Typeflag: tar.TypeLink, Linkname: "./bin/busybox", Mode: 0o755}
	}
	e.craftImage("linked", map[string]*tar.Header{"/data/a": link(), "/data/b": link()}, nil)
	e.ok("run", "--rm", "-v", "hl:/data", "linked", "true")
	var a, b unix.Stat_t
	if err := unix.Lstat(filepath.Join(e.volumeData("hl"), "a"), &a); err != nil {
		t.Fatal(err)
	}
	if err := unix.Lstat(filepath.Join(e.volumeData("hl"), "b"), &b); err != nil {
		t.Fatal(err)
	}
	if a.Ino != b.Ino || a.Nlink != 2 || a.Mode&0o777 != 0o755 {
		t.Fatalf("a (ino %d, %d links, mode %o) and b (ino %d) should be one file with two names", a.Ino, a.Nlink, a.Mode, b.Ino)
	}
	if got := e.ok("run", "--rm", "-v", "hl:/data", "linked", "sh", "-c", "cmp /data/a /bin/busybox && echo same"); got != "same" {
		t.Fatalf("the copied file: %q", got)
	}
}

// Podman (with runc) as the oracle for what these flags look like inside
// a container and for the volume commands' output, where it behaves as
// Docker does. (Where it does not, Docker wins: podman's --tmpfs is not
// noexec, its --read-only adds tmpfs mounts, it sets TERM without -t.)
func TestPeersRunFlags(t *testing.T) {
	e := newEnv(t)
	p := newPodman(t)
	archive := filepath.Join(t.TempDir(), "busybox.tar")
	e.ok("save", "-o", archive, "busybox")
	img := p.load(archive)
	envFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(envFile, []byte("# comment\nA=1\n  B=\"q x\"\nFROM_CALLER\nC=a=b\nUNSET_XYZ\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ours := func(args ...string) string {
		t.Helper()
		c := e.cmd(t.Context(), args...)
		c.Env = append(c.Env, "FROM_CALLER=caller")
		out, err := c.Output()
		if err != nil {
			t.Fatalf("mydocker %q: %v", args, err)
		}
		return string(out)
	}
	theirs := func(args ...string) string {
		t.Helper()
		return runPeer(t, append(p.env(), "FROM_CALLER=caller"), "podman", p.args(args)...)
	}
	run := func(flags []string, cmd ...string) (string, string) {
		t.Helper()
		o := ours(append(append([]string{"run", "--rm"}, flags...), append([]string{"busybox"}, cmd...)...)...)
		th := theirs(append(append([]string{"run", "--rm", "--network", "none", "--cgroup-parent", p.cgroupParent}, flags...), append([]string{img}, cmd...)...)...)
		return o, th
	}
	same := func(what, o, th string) {
		t.Helper()
		if o != th {
			t.Errorf("%s: mydocker %q, podman %q", what, o, th)
		}
	}
	fileVars := func(env string) string {
		var keep []string
		for _, kv := range strings.Split(env, "\n") {
			for _, k := range []string{"A=", "B=", "C=", "FROM_CALLER=", "UNSET_XYZ"} {
				if strings.HasPrefix(kv, k) {
					keep = append(keep, kv)
				}
			}
		}
		sort.Strings(keep)
		return strings.Join(keep, "\n")
	}
	o, th := run([]string{"--env-file", envFile}, "env")
	same("--env-file", fileVars(o), fileVars(th))
	o, th = run([]string{"-t"}, "sh", "-c", "echo $TERM")
	same("TERM with -t", o, th)
	o, th = run([]string{"--shm-size", "3m"}, "grep", " /dev/shm ", "/proc/mounts")
	same("--shm-size", o, th)
	o, th = run([]string{"--ulimit", "nofile=100:200", "--ulimit", "nproc=1000:1000"}, "sh", "-c", "ulimit -n; ulimit -Hn; ulimit -u")
	same("--ulimit", o, th)
	o, th = run([]string{"--read-only"}, "sh", "-c", "touch /x 2>/dev/null && echo wrote; grep ' / ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1")
	same("--read-only", o, th)

	// Volumes: create, ls -q, inspect's fields, the copy from the image.
	same("volume create", ours("volume", "create", "pv"), theirs("volume", "create", "pv"))
	o, th = run([]string{"-v", "cv:/bin"}, "sh", "-c", "ls -l /bin | wc -l; readlink /bin/ls")
	same("a new volume filled from the image", o, th)
	same("volume ls -q", ours("volume", "ls", "-q"), theirs("volume", "ls", "-q"))
	var ov, pv []map[string]any
	if err := json.Unmarshal([]byte(ours("volume", "inspect", "pv")), &ov); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(theirs("volume", "inspect", "pv")), &pv); err != nil {
		t.Fatal(err)
	}
	for k, v := range ov[0] {
		pvv, ok := pv[0][k]
		if !ok {
			t.Errorf("volume inspect: podman has no %s", k)
			continue
		}
		switch k {
		case "Mountpoint", "CreatedAt":
		default:
			if !reflect.DeepEqual(v, pvv) {
				t.Errorf("volume inspect %s: mydocker %v, podman %v", k, v, pvv)
			}
		}
	}
	same("volume rm", ours("volume", "rm", "pv", "cv"), theirs("volume", "rm", "pv", "cv"))
}
