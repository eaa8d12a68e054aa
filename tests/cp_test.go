package tests

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func ownerOf(t *testing.T, p string) (int, int) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return int(st.Uid), int(st.Gid)
}

func TestCpBothWays(t *testing.T) {
	e := newEnv(t)
	host := t.TempDir()
	e.ok("run", "-d", "--name", "c", "--network", "none", "busybox", "sh", "-c",
		"mkdir -p /srv/tree/sub && echo deep > /srv/tree/sub/f && ln -s /etc/passwd /srv/tree/link && echo owned > /srv/owned && chown 1234:2345 /srv/owned && touch /ready && sleep 1000")
	waitFor(t, "the container's files", func() bool {
		r, err := e.exec(nil, "exec", "c", "test", "-e", "/ready")
		return err == nil && r.code == 0
	})
	read := func(p string) string {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	// Out: a directory to a new name, into an existing directory, its
	// contents, a symlink as a symlink.
	e.ok("cp", "c:/srv/tree", filepath.Join(host, "copy"))
	if read(filepath.Join(host, "copy", "sub", "f")) != "deep\n" {
		t.Error("directory to a new name")
	}
	if target, err := os.Readlink(filepath.Join(host, "copy", "link")); err != nil || target != "/etc/passwd" {
		t.Errorf("symlink copied as %q %v", target, err)
	}
	os.Mkdir(filepath.Join(host, "into"), 0o755)
	e.ok("cp", "c:/srv/tree", filepath.Join(host, "into"))
	if read(filepath.Join(host, "into", "tree", "sub", "f")) != "deep\n" {
		t.Error("directory into an existing directory")
	}
	e.ok("cp", "c:/srv/tree/.", filepath.Join(host, "contents"))
	if read(filepath.Join(host, "contents", "sub", "f")) != "deep\n" {
		t.Error("a directory's contents")
	}
	// Owners: the destination user's, unless -a.
	e.ok("cp", "c:/srv/owned", filepath.Join(host, "plain"))
	if u, g := ownerOf(t, filepath.Join(host, "plain")); u != os.Getuid() || g != os.Getgid() {
		t.Errorf("without -a the copy is owned by %d:%d", u, g)
	}
	e.ok("cp", "-a", "c:/srv/owned", filepath.Join(host, "kept"))
	if u, g := ownerOf(t, filepath.Join(host, "kept")); u != 1234 || g != 2345 {
		t.Errorf("with -a the copy is owned by %d:%d", u, g)
	}
	// In: a file to a new name, a directory into one, owners.
	if err := os.WriteFile(filepath.Join(host, "in.txt"), []byte("from the host\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chown(filepath.Join(host, "in.txt"), 4321, 4321)
	e.ok("cp", filepath.Join(host, "in.txt"), "c:/tmp/renamed")
	if got := e.ok("exec", "c", "sh", "-c", "cat /tmp/renamed; stat -c '%u:%g %a' /tmp/renamed"); got != "from the host\n0:0 640" {
		t.Errorf("file in: %q", got)
	}
	e.ok("cp", "-a", filepath.Join(host, "in.txt"), "c:/tmp/")
	if got := e.ok("exec", "c", "stat", "-c", "%u:%g", "/tmp/in.txt"); got != "4321:4321" {
		t.Errorf("with -a: %q", got)
	}
	e.ok("cp", filepath.Join(host, "copy"), "c:/srv/tree")
	if got := e.ok("exec", "c", "cat", "/srv/tree/copy/sub/f"); got != "deep" {
		t.Errorf("directory in: %q", got)
	}
	// A tar stream both ways.
	r := e.run(0, "cp", "c:/srv/tree/sub", "-")
	names := tarNames(t, []byte(r.stdout))
	if strings.Join(names, " ") != "sub/ sub/f" {
		t.Errorf("cp to - wrote %q", names)
	}
	e.runIn([]byte(r.stdout), 0, "cp", "-", "c:/tmp")
	if got := e.ok("exec", "c", "cat", "/tmp/sub/f"); got != "deep" {
		t.Errorf("cp from -: %q", got)
	}
	// Bad inputs: exit 125 (1 for no such container), one line, nothing made.
	for _, args := range [][]string{
		{"cp", "c:/nope", filepath.Join(host, "x")},
		{"cp", filepath.Join(host, "nope"), "c:/tmp/"},
		{"cp", filepath.Join(host, "in.txt"), "c:/nodir/"},
		{"cp", "c:/srv/tree", filepath.Join(host, "plain")}, // a directory onto a file
		{"cp", filepath.Join(host, "copy"), "c:/tmp/renamed"},
		{"cp", "c:/srv/owned/.", filepath.Join(host, "y")},
		{"cp", host, filepath.Join(host, "z")},
		{"cp", "c:/a", "c:/b"},
		{"cp", "c:/a"},
	} {
		r := e.run(125, args...)
		if strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%q: stderr %q", args, r.stderr)
		}
	}
	e.run(1, "cp", "nosuch:/etc", host)
	if _, err := os.Stat(filepath.Join(host, "x")); !os.IsNotExist(err) {
		t.Errorf("a failed cp made something: %v", err)
	}
}

func tarNames(t *testing.T, data []byte) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
	}
	return names
}

// cp works on a container that is not running, and leaves nothing
// mounted; into a volume the data goes to the volume; a read-only root
// file system is refused, its volumes are not.
func TestCpStoppedVolumeReadOnly(t *testing.T) {
	e := newEnv(t)
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "f"), []byte("data\n"), 0o644)
	e.ok("create", "--name", "off", "--network", "none", "-v", "cpvol:/vol", "busybox", "cat", "/tmp/f", "/vol/f")
	e.ok("cp", filepath.Join(host, "f"), "off:/tmp/f")
	e.ok("cp", filepath.Join(host, "f"), "off:/vol/")
	if m := mountsUnder(t, e.root); len(m) > 0 {
		t.Errorf("cp left mounts: %v", m)
	}
	if data, err := os.ReadFile(filepath.Join(e.root, "volumes", "cpvol", "_data", "f")); err != nil || string(data) != "data\n" {
		t.Errorf("file copied to a volume path is not in the volume: %q %v", data, err)
	}
	e.ok("start", "off")
	if got := e.ok("wait", "off"); got != "0" {
		t.Errorf("the copied files were not there at start: exit %s", got)
	}
	if got := e.ok("logs", "off"); got != "data\ndata" {
		t.Errorf("logs %q", got)
	}
	e.ok("cp", "off:/tmp/f", filepath.Join(host, "back"))
	e.ok("run", "-d", "--name", "ro", "--network", "none", "--read-only", "-v", "rovol:/vol", "busybox", "sleep", "1000")
	e.run(125, "cp", filepath.Join(host, "f"), "ro:/tmp/")
	e.ok("cp", filepath.Join(host, "f"), "ro:/vol/")
}

// The attack: a container's symlinks that, followed on the host, lead
// out of its rootfs (relative ones climbing past it, absolute ones), and a
// directory it keeps swapping for such a symlink while cp runs. cp must
// resolve everything inside the container: never read or write a host
// file through them.
func TestCpNeverFollowsContainerLinksToTheHost(t *testing.T) {
	e := newEnv(t)
	secretDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(secretDir, "secret"), []byte("host secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	climb := strings.Repeat("../", 40) + strings.TrimPrefix(secretDir, "/")
	e.ok("run", "-d", "--name", "evil", "--network", "none", "busybox", "sh", "-c",
		"ln -s "+climb+" /esc; ln -s "+secretDir+" /abs; mkdir -p /swap.real; echo mine > /swap.real/inside; touch /ready; "+
			"while :; do ln -sfn "+climb+" /swap.new; mv -T /swap.new /swap; ln -sfn /swap.real /swap.new; mv -T /swap.new /swap; done")
	waitFor(t, "the links", func() bool {
		r, err := e.exec(nil, "exec", "evil", "test", "-e", "/ready")
		return err == nil && r.code == 0
	})
	out := t.TempDir()
	for i, src := range []string{"evil:/esc/secret", "evil:/abs/secret", "evil:/esc/.", "evil:/abs/."} {
		e.exec(nil, "cp", src, filepath.Join(out, "o"+string(rune('a'+i))))
	}
	for i := 0; i < 40; i++ {
		e.exec(nil, "cp", "evil:/swap/.", filepath.Join(out, "swap"+string(rune('a'+i%26))+string(rune('a'+i/26))))
		e.exec(nil, "cp", "evil:/swap/inside", filepath.Join(out, "file"+string(rune('a'+i%26))+string(rune('a'+i/26))))
	}
	filepath.Walk(out, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			if data, _ := os.ReadFile(p); strings.Contains(string(data), "host secret") {
				t.Errorf("%s holds the host's secret", p)
			}
		}
		return nil
	})
	// The link itself is copied, not what it points at.
	e.ok("cp", "evil:/esc", filepath.Join(out, "link"))
	if fi, err := os.Lstat(filepath.Join(out, "link")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("a symlink was not copied as one: %v %v", fi, err)
	}
	// Writing through them lands inside the container, or nowhere.
	planted := filepath.Join(t.TempDir(), "planted")
	os.WriteFile(planted, []byte("planted\n"), 0o644)
	for _, dst := range []string{"evil:/esc/", "evil:/abs/", "evil:/esc/planted", "evil:/abs/planted"} {
		e.exec(nil, "cp", planted, dst)
	}
	for i := 0; i < 40; i++ {
		e.exec(nil, "cp", planted, "evil:/swap/")
	}
	// A tar on stdin that plants a link and writes through it.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "lnk", Typeflag: tar.TypeSymlink, Linkname: secretDir, Mode: 0o777})
	tw.WriteHeader(&tar.Header{Name: "lnk/planted", Typeflag: tar.TypeReg, Mode: 0o644, Size: 3})
	tw.Write([]byte("hi\n"))
	tw.WriteHeader(&tar.Header{Name: "../planted", Typeflag: tar.TypeReg, Mode: 0o644})
	tw.Close()
	e.exec(buf.Bytes(), "cp", "-", "evil:/tmp")
	entries, _ := os.ReadDir(secretDir)
	if len(entries) != 1 {
		t.Errorf("cp wrote into the host directory the container's links point at: %v", entries)
	}
	if data, _ := os.ReadFile(filepath.Join(secretDir, "secret")); string(data) != "host secret\n" {
		t.Errorf("host file changed: %q", data)
	}
}
