package image

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

type entry struct {
	name, link string
	typ        byte
	body       string
}

func makeTar(t testing.TB, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: 0o755, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// victimDir in a test entry's link stands for a temporary directory
// outside the unpack root.
const victimDir = "VICTIM"

func TestUnpackKeepsEntriesInside(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
		wantErr string
	}{
		{"dotdot", []entry{{name: "../escape", typ: tar.TypeReg, body: "x"}}, "climbs out"},
		{"nested dotdot", []entry{{name: "a/../../escape", typ: tar.TypeReg, body: "x"}}, "climbs out"},
		{"write through symlink dir", []entry{
			{name: "link", link: victimDir, typ: tar.TypeSymlink},
			{name: "link/escape", typ: tar.TypeReg, body: "x"}}, "symlink"},
		{"relative symlink parent", []entry{
			{name: "up", link: "../..", typ: tar.TypeSymlink},
			{name: "up/escape", typ: tar.TypeReg, body: "x"}}, "symlink"},
		{"hard link outside", []entry{{name: "hl", link: "../../etc/passwd", typ: tar.TypeLink}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent, victim := t.TempDir(), t.TempDir()
			dest := filepath.Join(parent, "rootfs")
			if err := os.Mkdir(dest, 0o755); err != nil {
				t.Fatal(err)
			}
			// An absolute symlink points at a directory of this test's own,
			// so a failing run writes nowhere another test could see.
			entries := append([]entry(nil), tc.entries...)
			for i := range entries {
				if entries[i].link == victimDir {
					entries[i].link = victim
				}
			}
			err := Unpack(bytes.NewReader(makeTar(t, entries)), dest, 0)
			if err == nil {
				t.Fatalf("unpacked a malicious tar")
			}
			if tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
			if _, err := os.Lstat(filepath.Join(parent, "escape")); err == nil {
				t.Errorf("entry escaped to %s", parent)
			}
			if _, err := os.Lstat(filepath.Join(victim, "escape")); err == nil {
				t.Errorf("entry escaped to %s", victim)
			}
		})
	}
}

func TestUnpackRegularTree(t *testing.T) {
	dest := t.TempDir()
	err := Unpack(bytes.NewReader(makeTar(t, []entry{
		{name: "./", typ: tar.TypeDir},
		{name: "/abs/file", typ: tar.TypeReg, body: "rooted"}, // leading / is relative to the image
		{name: "bin/busybox", typ: tar.TypeReg, body: "bb"},
		{name: "bin/sh", link: "/bin/busybox", typ: tar.TypeSymlink},
		{name: "bin/hard", link: "bin/busybox", typ: tar.TypeLink},
		{name: "bin/busybox2", typ: tar.TypeReg, body: "v1"},
		{name: "bin/busybox2", typ: tar.TypeReg, body: "v2"}, // later entries win
	})), dest, 0)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"abs/file": "rooted", "bin/busybox": "bb", "bin/hard": "bb", "bin/busybox2": "v2"} {
		got, err := os.ReadFile(filepath.Join(dest, path))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", path, got, err, want)
		}
	}
	if l, err := os.Readlink(filepath.Join(dest, "bin/sh")); err != nil || l != "/bin/busybox" {
		t.Errorf("symlink %q, %v", l, err)
	}
}

func FuzzEntryPath(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "/etc/passwd", "./", "a/../b", "..", "a/.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		rel, err := entryPath(name)
		if err != nil {
			return
		}
		if strings.HasPrefix(rel, "/") || rel == ".." || strings.HasPrefix(rel, "../") {
			t.Fatalf("entryPath(%q) = %q escapes", name, rel)
		}
		if filepath.Join("/root", rel) != "/root" && !strings.HasPrefix(filepath.Join("/root", rel), "/root/") {
			t.Fatalf("entryPath(%q) = %q lands outside", name, rel)
		}
	})
}

func TestPackRoundTripAndNoEscape(t *testing.T) {
	src := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("host secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(src, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "etc", "f"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(src, "etc", "f"), filepath.Join(src, "hard")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Pack(&buf, src); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("host secret")) {
		t.Fatal("commit followed a symlink out of the container")
	}
	dest := t.TempDir()
	if err := Unpack(bytes.NewReader(buf.Bytes()), dest, 0); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"etc/f", "hard"} {
		if got, err := os.ReadFile(filepath.Join(dest, p)); err != nil || string(got) != "data" {
			t.Errorf("%s = %q, %v", p, got, err)
		}
	}
	if l, err := os.Readlink(filepath.Join(dest, "link")); err != nil || l != outside {
		t.Errorf("symlink kept as a link: %q %v", l, err)
	}
}

// A directory swapped for a symlink to the host between the walk's stat
// and its open must not be followed.
func TestPackRefusesSwappedDirectory(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("host secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "etc")); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(root, unix.O_DIRECTORY|unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	var buf bytes.Buffer
	p := &packer{tw: tar.NewWriter(&buf), links: map[[2]uint64]string{}}
	// What the walk saw was a directory; by the time it opens it, a link.
	if err := p.subdir(fd, "etc", "etc"); err == nil {
		t.Fatal("descended through a symlink")
	}
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(outside, "secret"), &st); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, "etc")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "f")); err != nil {
		t.Fatal(err)
	}
	if err := p.copyFile(fd, "f", "f", &st, 11); err == nil {
		t.Fatal("copied through a swapped symlink")
	}
	if bytes.Contains(buf.Bytes(), []byte("host secret")) {
		t.Fatal("host data in the tar")
	}
}

func TestPackSkipsMountPoints(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root to mount a file system; run the tests as root (make test)")
	}
	root := t.TempDir()
	mnt := filepath.Join(root, "proc")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, ""); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(mnt, unix.MNT_DETACH)
	if err := os.WriteFile(filepath.Join(mnt, "inside-mount"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Pack(&buf, root); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	sawDir := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(h.Name, "inside-mount") {
			t.Fatal("packed a file from a mount below the root")
		}
		if h.Name == "proc/" {
			sawDir = true
		}
	}
	if !sawDir {
		t.Fatal("mount point not kept as an empty directory")
	}
}

func FuzzImageName(f *testing.F) {
	for _, s := range []string{"busybox", "busybox:latest", "../etc/passwd", "a/b", ".hidden", "x.tar"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		name := strings.TrimSuffix(ref, ":latest")
		if ValidateName(name) != nil {
			return
		}
		// An accepted name is one plain file name inside the image dir.
		s := NewStore("/root")
		p := s.TarPath(name)
		if filepath.Dir(p) != "/root/image" || strings.ContainsAny(name, "/\x00") || strings.HasPrefix(name, ".") {
			t.Fatalf("%q -> %q escapes the image dir", ref, p)
		}
	})
}
