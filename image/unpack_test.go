package image

import (
	"archive/tar"
	"bytes"
	"io"
	"io/fs"
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
		{"whiteout dotdot", []entry{{name: "../.wh.keep", typ: tar.TypeReg}}, "climbs out"},
		{"nested whiteout dotdot", []entry{{name: "a/../../.wh.escape", typ: tar.TypeReg}}, "climbs out"},
		{"opaque dotdot", []entry{{name: "../.wh..wh..opq", typ: tar.TypeReg}}, "climbs out"},
		{"whiteout through symlink dir", []entry{
			{name: "link", link: victimDir, typ: tar.TypeSymlink},
			{name: "link/.wh.keep", typ: tar.TypeReg}}, "symlink"},
		{"whiteout through relative symlink dir", []entry{
			{name: "up", link: "..", typ: tar.TypeSymlink},
			{name: "up/.wh.escape", typ: tar.TypeReg}}, "symlink"},
		{"opaque through symlink dir", []entry{
			{name: "link", link: victimDir, typ: tar.TypeSymlink},
			{name: "link/.wh..wh..opq", typ: tar.TypeReg}}, "symlink"},
		{"dir replaced by symlink, then whiteout in it", []entry{
			{name: "d/", typ: tar.TypeDir},
			{name: "d", link: victimDir, typ: tar.TypeSymlink},
			{name: "d/.wh.keep", typ: tar.TypeReg}}, "symlink"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent, victim := t.TempDir(), t.TempDir()
			dest := filepath.Join(parent, "rootfs")
			if err := os.Mkdir(dest, 0o755); err != nil {
				t.Fatal(err)
			}
			// What a whiteout that escaped would delete.
			for _, d := range []string{parent, victim} {
				if err := os.WriteFile(filepath.Join(d, "keep"), []byte("keep"), 0o644); err != nil {
					t.Fatal(err)
				}
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
			for _, d := range []string{parent, victim} {
				if got, err := os.ReadFile(filepath.Join(d, "keep")); err != nil || string(got) != "keep" {
					t.Errorf("%s/keep = %q, %v: whited out", d, got, err)
				}
				buf := make([]byte, 64)
				if n, err := unix.Lgetxattr(d, opaqueXattr, buf); err == nil {
					t.Errorf("%s made opaque (%q)", d, buf[:n])
				}
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

// FuzzUnpack: whatever the archive, nothing lands outside the unpack
// directory, no ".wh." name is created, and the only overlayfs xattr is
// the opaque mark on a directory.
func FuzzUnpack(f *testing.F) {
	for _, seed := range [][]entry{
		{{name: "etc/", typ: tar.TypeDir}, {name: "etc/.wh.passwd", typ: tar.TypeReg}, {name: "d/.wh..wh..opq", typ: tar.TypeReg}},
		{{name: "link", link: "/tmp", typ: tar.TypeSymlink}, {name: "link/.wh.x", typ: tar.TypeReg}},
		{{name: "up", link: "..", typ: tar.TypeSymlink}, {name: ".wh.up", typ: tar.TypeReg}, {name: "up/f", typ: tar.TypeReg, body: "x"}},
		{{name: ".wh.d", typ: tar.TypeReg}, {name: "d/f", typ: tar.TypeReg, body: "x"}, {name: "h", link: "d/f", typ: tar.TypeLink}},
		{{name: "../.wh.keep", typ: tar.TypeReg}},
		{{name: ".wh..wh.plnk/1", typ: tar.TypeReg}, {name: "a/.wh.", typ: tar.TypeReg}},
	} {
		f.Add(makeTar(f, seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		dest := filepath.Join(parent, "rootfs")
		if err := os.Mkdir(dest, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(parent, "keep"), []byte("keep"), 0o644); err != nil {
			t.Fatal(err)
		}
		_ = Unpack(bytes.NewReader(data), dest, 1<<20) // errors are fine; escapes are not
		names, err := os.ReadDir(parent)
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != 2 || names[0].Name() != "keep" || names[1].Name() != "rootfs" {
			t.Fatalf("the parent holds %v", names)
		}
		if got, err := os.ReadFile(filepath.Join(parent, "keep")); err != nil || string(got) != "keep" {
			t.Fatalf("a file beside the layer changed: %q %v", got, err)
		}
		err = filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(d.Name(), whiteoutPrefix) {
				t.Fatalf("unpacked a whiteout name: %s", p)
			}
			xattrs, err := xattrsOf(p)
			if err != nil {
				return err
			}
			for k, v := range xattrs {
				if overlayXattr(k) && !(k == opaqueXattr && v == "y" && d.IsDir()) {
					t.Fatalf("%s: forged %s=%q", p, k, v)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
