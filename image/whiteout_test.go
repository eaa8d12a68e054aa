package image

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// te is a tar entry: a header, with the body of a regular file.
type te struct {
	tar.Header
	body string
}

// layerTar writes the entries as a tar. Unset fields get plain defaults:
// mode 0755 (0644 for files), a fixed mtime, and a size from the body.
func layerTar(t testing.TB, entries ...te) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.Header
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
			if strings.HasSuffix(h.Name, "/") {
				h.Typeflag = tar.TypeDir
			}
		}
		if h.Mode == 0 {
			h.Mode = 0o755
			if h.Typeflag == tar.TypeReg {
				h.Mode = 0o644
			}
		}
		if h.ModTime.IsZero() {
			h.ModTime = time.Unix(1e9, 0)
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if len(h.PAXRecords) > 0 {
			h.Format = tar.FormatPAX
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func reg(name, body string) te { return te{tar.Header{Name: name}, body} }
func dir(name string) te       { return te{Header: tar.Header{Name: name}} }

// capV2 is a security.capability value (VFS_CAP_REVISION_2) granting
// cap_net_raw (bit 13) permitted and effective, as setcap cap_net_raw+ep.
var capV2 = string([]byte{1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})

func getxattr(p, name string) (string, error) {
	buf := make([]byte, 64<<10)
	n, err := unix.Lgetxattr(p, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// xattrsOf lists the extended attributes of p (not following a symlink).
func xattrsOf(p string) (map[string]string, error) {
	buf := make([]byte, 64<<10)
	n, err := unix.Llistxattr(p, buf)
	if err != nil || n == 0 {
		return nil, err
	}
	attrs := map[string]string{}
	for _, k := range strings.Split(strings.TrimSuffix(string(buf[:n]), "\x00"), "\x00") {
		if attrs[k], err = getxattr(p, k); err != nil {
			return nil, err
		}
	}
	return attrs, nil
}

func checkWhiteout(t *testing.T, p string) {
	t.Helper()
	st := statT(t, p)
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("%s: mode %#o rdev %d, want a 0/0 character device", p, st.Mode, st.Rdev)
	}
}

func checkOpaque(t *testing.T, p string, want bool) {
	t.Helper()
	v, err := getxattr(p, opaqueXattr)
	if got := err == nil && v == "y"; got != want {
		t.Errorf("%s: opaque %q (%v), want opaque %v", p, v, err, want)
	}
}

func checkFile(t *testing.T, p, want string) {
	t.Helper()
	got, err := os.ReadFile(p)
	if err != nil || string(got) != want {
		t.Errorf("%s = %q, %v; want %q", p, got, err, want)
	}
}

func checkMissing(t *testing.T, p string) {
	t.Helper()
	if _, err := os.Lstat(p); !os.IsNotExist(err) {
		t.Errorf("%s exists (%v), want it gone", p, err)
	}
}

// checkNoWhiteoutNames: Unpack never creates a ".wh." name.
func checkNoWhiteoutNames(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), whiteoutPrefix) {
			t.Errorf("unpacked a whiteout name: %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Each rule of a layer's unpacking, on a layer of its own.
func TestUnpackLayerRules(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root to chown, mknod and set trusted xattrs; run the tests as root (make test)")
	}
	t1, t2, t3 := time.Unix(1.1e9, 0), time.Unix(1.2e9, 0), time.Unix(1.3e9, 0)
	tests := []struct {
		name    string
		entries []te
		check   func(t *testing.T, d string)
	}{
		{"whiteout", []te{dir("etc/"), reg("etc/.wh.passwd", "")}, func(t *testing.T, d string) {
			checkWhiteout(t, filepath.Join(d, "etc/passwd"))
		}},
		{"whiteout with missing parents", []te{reg("a/b/.wh.c", "")}, func(t *testing.T, d string) {
			checkWhiteout(t, filepath.Join(d, "a/b/c"))
		}},
		{"whiteout replaces this layer's file", []te{reg("f", "x"), reg(".wh.f", "")}, func(t *testing.T, d string) {
			checkWhiteout(t, filepath.Join(d, "f"))
		}},
		{"whiteout replaces this layer's dir", []te{dir("d/"), reg("d/x", "x"), reg(".wh.d", "")}, func(t *testing.T, d string) {
			checkWhiteout(t, filepath.Join(d, "d"))
		}},
		{"whiteout of any type", []te{{Header: tar.Header{Name: ".wh.dir", Typeflag: tar.TypeDir}}, {Header: tar.Header{Name: ".wh.sym", Typeflag: tar.TypeSymlink, Linkname: "x"}}}, func(t *testing.T, d string) {
			checkWhiteout(t, filepath.Join(d, "dir"))
			checkWhiteout(t, filepath.Join(d, "sym"))
		}},
		{"opaque", []te{dir("d/"), reg("d/mine", "m"), reg("d/.wh..wh..opq", ""), reg("d/later", "l")}, func(t *testing.T, d string) {
			checkOpaque(t, filepath.Join(d, "d"), true)
			checkFile(t, filepath.Join(d, "d/mine"), "m")
			checkFile(t, filepath.Join(d, "d/later"), "l")
		}},
		{"opaque creates its dir", []te{reg("x/y/.wh..wh..opq", "")}, func(t *testing.T, d string) {
			checkOpaque(t, filepath.Join(d, "x/y"), true)
			checkOpaque(t, filepath.Join(d, "x"), false)
		}},
		{"dir over this layer's whiteout is opaque", []te{reg(".wh.d", ""), dir("d/"), reg("d/new", "n")}, func(t *testing.T, d string) {
			checkOpaque(t, filepath.Join(d, "d"), true)
			checkFile(t, filepath.Join(d, "d/new"), "n")
		}},
		{"file under this layer's whiteout makes an opaque dir", []te{reg(".wh.d", ""), reg("d/new", "n")}, func(t *testing.T, d string) {
			checkOpaque(t, filepath.Join(d, "d"), true)
			checkFile(t, filepath.Join(d, "d/new"), "n")
		}},
		{"file over this layer's whiteout", []te{reg(".wh.f", ""), reg("f", "new")}, func(t *testing.T, d string) {
			checkFile(t, filepath.Join(d, "f"), "new")
		}},
		{"AUFS bookkeeping skipped", []te{dir(".wh..wh.plnk/"), reg(".wh..wh.plnk/123.456", "x"), reg(".wh..wh.aufs", "")}, func(t *testing.T, d string) {
			if names, _ := os.ReadDir(d); len(names) != 0 {
				t.Errorf("unpacked %v", names)
			}
		}},
		{"modes", []te{
			{Header: tar.Header{Name: "tmp/", Mode: 0o1777}},
			{Header: tar.Header{Name: "usr/bin/passwd", Mode: 0o4755}},
			{Header: tar.Header{Name: "usr/bin/wall", Mode: 0o2755, Gid: 5}},
			{Header: tar.Header{Name: "srv/", Mode: 0o2770, Uid: 1000, Gid: 1000}},
			{Header: tar.Header{Name: "private", Mode: 0o600}},
		}, func(t *testing.T, d string) {
			for p, want := range map[string]uint32{"tmp": 0o1777, "usr/bin/passwd": 0o4755, "usr/bin/wall": 0o2755, "srv": 0o2770, "private": 0o600} {
				if got := statT(t, filepath.Join(d, p)).Mode & 0o7777; got != want {
					t.Errorf("%s: mode %#o, want %#o", p, got, want)
				}
			}
		}},
		{"owners, of symlinks too", []te{
			{Header: tar.Header{Name: "home/u/", Uid: 1000, Gid: 1001}},
			{Header: tar.Header{Name: "home/u/f", Uid: 1000, Gid: 1001}},
			{Header: tar.Header{Name: "home/u/l", Typeflag: tar.TypeSymlink, Linkname: "/etc/shadow", Uid: 1002, Gid: 1003}},
		}, func(t *testing.T, d string) {
			for p, want := range map[string][2]uint32{"home/u": {1000, 1001}, "home/u/f": {1000, 1001}, "home/u/l": {1002, 1003}} {
				if st := statT(t, filepath.Join(d, p)); st.Uid != want[0] || st.Gid != want[1] {
					t.Errorf("%s: owner %d:%d, want %v", p, st.Uid, st.Gid, want)
				}
			}
			if got := statT(t, "/etc/shadow"); got.Uid != 0 {
				t.Errorf("/etc/shadow's owner changed to %d", got.Uid)
			}
		}},
		{"mtimes: files, symlinks, dirs after their contents", []te{
			{Header: tar.Header{Name: "d/", ModTime: t1}},
			{Header: tar.Header{Name: "d/f", ModTime: t2}},
			{Header: tar.Header{Name: "d/l", Typeflag: tar.TypeSymlink, Linkname: "f", ModTime: t3}},
			{Header: tar.Header{Name: "d/sub/", ModTime: t2}},
			{Header: tar.Header{Name: "d/sub/g", ModTime: t3}},
		}, func(t *testing.T, d string) {
			for p, want := range map[string]time.Time{"d": t1, "d/f": t2, "d/l": t3, "d/sub": t2, "d/sub/g": t3} {
				st := statT(t, filepath.Join(d, p))
				if got := time.Unix(st.Mtim.Unix()); !got.Equal(want) {
					t.Errorf("%s: mtime %v, want %v", p, got, want)
				}
			}
		}},
		{"dir over dir merges, the later header wins", []te{
			{Header: tar.Header{Name: "d/", Mode: 0o700, ModTime: t1}},
			reg("d/a", "a"),
			{Header: tar.Header{Name: "d/", Mode: 0o755, Uid: 7, ModTime: t2}},
			reg("d/b", "b"),
		}, func(t *testing.T, d string) {
			checkFile(t, filepath.Join(d, "d/a"), "a")
			checkFile(t, filepath.Join(d, "d/b"), "b")
			st := statT(t, filepath.Join(d, "d"))
			if st.Mode&0o7777 != 0o755 || st.Uid != 7 || st.Mtim.Sec != t2.Unix() {
				t.Errorf("d: mode %#o uid %d mtime %d, want the second header's", st.Mode&0o7777, st.Uid, st.Mtim.Sec)
			}
		}},
		{"later entry replaces", []te{
			reg("f", "file"),
			{Header: tar.Header{Name: "f", Typeflag: tar.TypeSymlink, Linkname: "target"}},
			dir("g/"), reg("g/x", "x"),
			reg("g", "now a file"),
		}, func(t *testing.T, d string) {
			if l, err := os.Readlink(filepath.Join(d, "f")); err != nil || l != "target" {
				t.Errorf("f: %q %v", l, err)
			}
			checkFile(t, filepath.Join(d, "g"), "now a file")
		}},
		{"xattrs", []te{
			{Header: tar.Header{Name: "bin/ping", Mode: 0o755, PAXRecords: map[string]string{
				"SCHILY.xattr.security.capability": capV2,
				"SCHILY.xattr.user.note":           "kept",
			}}},
			{Header: tar.Header{Name: "d/", PAXRecords: map[string]string{"SCHILY.xattr.trusted.other": "t"}}},
		}, func(t *testing.T, d string) {
			if v, err := getxattr(filepath.Join(d, "bin/ping"), "security.capability"); err != nil || v != capV2 {
				t.Errorf("security.capability = %x, %v; want %x", v, err, capV2)
			}
			if v, err := getxattr(filepath.Join(d, "bin/ping"), "user.note"); err != nil || v != "kept" {
				t.Errorf("user.note = %q, %v", v, err)
			}
			if v, err := getxattr(filepath.Join(d, "d"), "trusted.other"); err != nil || v != "t" {
				t.Errorf("trusted.other = %q, %v", v, err)
			}
		}},
		{"overlay xattrs from the archive are not forged", []te{
			{Header: tar.Header{Name: "d/", PAXRecords: map[string]string{
				"SCHILY.xattr.trusted.overlay.opaque":   "y",
				"SCHILY.xattr.trusted.overlay.redirect": "/etc",
				"SCHILY.xattr.user.overlay.opaque":      "y",
			}}},
			{Header: tar.Header{Name: "f", PAXRecords: map[string]string{"SCHILY.xattr.trusted.overlay.metacopy": ""}}},
		}, func(t *testing.T, d string) {
			for _, p := range []string{"d", "f"} {
				if x, err := xattrsOf(filepath.Join(d, p)); err != nil || len(x) != 0 {
					t.Errorf("%s has xattrs %q (%v)", p, x, err)
				}
			}
		}},
		{"hard link: same inode", []te{reg("bin/a", "x"), {Header: tar.Header{Name: "bin/b", Typeflag: tar.TypeLink, Linkname: "bin/a"}}}, func(t *testing.T, d string) {
			a, b := statT(t, filepath.Join(d, "bin/a")), statT(t, filepath.Join(d, "bin/b"))
			if a.Ino != b.Ino || a.Nlink != 2 {
				t.Errorf("inodes %d and %d, nlink %d: not one file", a.Ino, b.Ino, a.Nlink)
			}
		}},
		{"hard link to a symlink", []te{{Header: tar.Header{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "/nowhere"}}, {Header: tar.Header{Name: "l2", Typeflag: tar.TypeLink, Linkname: "l"}}}, func(t *testing.T, d string) {
			if l, err := os.Readlink(filepath.Join(d, "l2")); err != nil || l != "/nowhere" {
				t.Errorf("l2: %q %v", l, err)
			}
		}},
		{"devices and fifos", []te{
			{Header: tar.Header{Name: "dev/null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3, Mode: 0o666}},
			{Header: tar.Header{Name: "dev/sda", Typeflag: tar.TypeBlock, Devmajor: 8, Devminor: 0, Mode: 0o660, Gid: 6}},
			{Header: tar.Header{Name: "run/fifo", Typeflag: tar.TypeFifo, Mode: 0o620}},
		}, func(t *testing.T, d string) {
			for p, want := range map[string][3]uint32{"dev/null": {unix.S_IFCHR | 0o666, 1, 3}, "dev/sda": {unix.S_IFBLK | 0o660, 8, 0}, "run/fifo": {unix.S_IFIFO | 0o620, 0, 0}} {
				st := statT(t, filepath.Join(d, p))
				if st.Mode != want[0] || unix.Major(st.Rdev) != want[1] || unix.Minor(st.Rdev) != want[2] {
					t.Errorf("%s: mode %#o dev %d:%d, want %#o %d:%d", p, st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev), want[0], want[1], want[2])
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			if err := Unpack(bytes.NewReader(layerTar(t, tc.entries...)), d, 0); err != nil {
				t.Fatal(err)
			}
			tc.check(t, d)
			checkNoWhiteoutNames(t, d)
		})
	}
}

func TestUnpackRefusesBadWhiteouts(t *testing.T) {
	tests := []struct {
		name    string
		entries []te
		wantErr string
	}{
		{"whiteout of nothing", []te{reg("d/.wh.", "")}, "whiteout of no file"},
		{"whiteout of .", []te{reg("d/.wh..", "")}, "whiteout of no file"},
		{"whiteout of ..", []te{reg("d/.wh...", "")}, "whiteout of no file"},
		{"inside a whiteout", []te{reg(".wh.d/f", "x")}, "inside a whiteout"},
		{"hard link to a whiteout", []te{reg(".wh.f", ""), {Header: tar.Header{Name: "g", Typeflag: tar.TypeLink, Linkname: "f"}}}, "whiteout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			err := Unpack(bytes.NewReader(layerTar(t, tc.entries...)), d, 0)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			checkNoWhiteoutNames(t, d)
		})
	}
}

// mountOverlay mounts an overlay of lowers (lowest first) at target, with
// upper and work when upper is set, read-only otherwise, and unmounts it
// when the test ends. It returns an unmount for tests that need it sooner.
func mountOverlay(t *testing.T, target, upper, work string, lowers ...string) func() {
	t.Helper()
	top := make([]string, len(lowers))
	for i, l := range lowers {
		top[len(lowers)-1-i] = l
	}
	opts := "lowerdir=" + strings.Join(top, ":")
	if upper != "" {
		opts += ",upperdir=" + upper + ",workdir=" + work
	}
	if err := unix.Mount("overlay", target, "overlay", 0, opts); err != nil {
		t.Fatalf("mount overlay %s: %v", opts, err)
	}
	mounted := true
	unmount := func() {
		if mounted {
			if err := unix.Unmount(target, 0); err != nil {
				t.Errorf("unmount %s: %v", target, err)
			}
			mounted = false
		}
	}
	t.Cleanup(unmount)
	return unmount
}

func mkdirs(t *testing.T, parent string, names ...string) []string {
	t.Helper()
	var out []string
	for _, n := range names {
		p := filepath.Join(parent, n)
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func unpackLayer(t *testing.T, dest string, data []byte) {
	t.Helper()
	if err := Unpack(bytes.NewReader(data), dest, 0); err != nil {
		t.Fatal(err)
	}
}

// lowerLayer is a base image for the overlay tests.
func lowerLayer(t *testing.T) []byte {
	return layerTar(t,
		dir("etc/"), reg("etc/passwd", "root:x:0:0"), reg("etc/group", "root:x:0:"),
		dir("opq/"), reg("opq/a", "a"), reg("opq/b", "b"), dir("opq/sub/"), reg("opq/sub/deep", "d"),
		dir("gone/"), reg("gone/x", "x"),
		dir("keep/"), reg("keep/x", "lower x"),
		reg("fileToDir", "was a file"),
		dir("dirToFile/"), reg("dirToFile/y", "y"),
		te{Header: tar.Header{Name: "tmp/", Mode: 0o1777}},
		te{Header: tar.Header{Name: "usr/bin/passwd", Mode: 0o4755}, body: "suid"},
	)
}

// Two unpacked layers as overlayfs's lower layers: the upper one's
// whiteout hides the lower file and its opaque dir shows only its own
// content, as the OCI layers say.
func TestUnpackWhiteoutsInARealOverlay(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root to mount overlayfs; run the tests as root (make test)")
	}
	ds := mkdirs(t, t.TempDir(), "lower", "upper", "merged")
	lower, upper, merged := ds[0], ds[1], ds[2]
	unpackLayer(t, lower, lowerLayer(t))
	unpackLayer(t, upper, layerTar(t,
		dir("etc/"), reg("etc/.wh.passwd", ""),
		dir("opq/"), reg("opq/.wh..wh..opq", ""), reg("opq/c", "c"),
		reg(".wh.gone", ""),
		reg("keep/new", "new"),
	))
	mountOverlay(t, merged, "", "", lower, upper)

	checkMissing(t, filepath.Join(merged, "etc/passwd"))
	checkFile(t, filepath.Join(merged, "etc/group"), "root:x:0:")
	checkMissing(t, filepath.Join(merged, "gone"))
	checkFile(t, filepath.Join(merged, "keep/x"), "lower x")
	checkFile(t, filepath.Join(merged, "keep/new"), "new")
	names, err := os.ReadDir(filepath.Join(merged, "opq"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || names[0].Name() != "c" {
		t.Errorf("opaque dir shows %v, want only c", names)
	}
	// Nothing of the whiteouts shows in the container's view.
	checkNoWhiteoutNames(t, merged)
}

// node is what a file looks like in a container's view.
type node struct {
	Mode     uint32
	Uid, Gid uint32
	Mtime    int64
	Rdev     uint64
	Content  string // a file's data, a symlink's target
	Xattrs   map[string]string
	LinkedTo string // the first path of the same inode
}

// snapshot describes the tree at root, by path. The root itself is left
// out: a diff layer does not carry it.
func snapshot(t *testing.T, root string) map[string]node {
	t.Helper()
	tree := map[string]node{}
	inodes := map[uint64]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		st := statT(t, p)
		n := node{Mode: st.Mode, Uid: st.Uid, Gid: st.Gid, Mtime: st.Mtim.Sec, Rdev: st.Rdev}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			n.Content = string(b)
			if first, ok := inodes[st.Ino]; ok && st.Nlink > 1 {
				n.LinkedTo = first
			} else {
				inodes[st.Ino] = rel
			}
		case unix.S_IFLNK:
			n.Content, err = os.Readlink(p)
			if err != nil {
				return err
			}
		}
		if st.Mode&unix.S_IFMT != unix.S_IFLNK {
			n.Xattrs, err = xattrsOf(p)
			if err != nil {
				return err
			}
		}
		tree[rel] = n
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// A container's changes, made through a real overlay mount (files
// deleted, a directory deleted and one replaced, a file turned into a
// directory and back, new files, links and xattrs), packed by PackDiff
// from the upper directory and unpacked as a layer over the same lower
// layer, give the container's view again, entry for entry.
func TestPackDiffRoundTrip(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root to mount overlayfs; run the tests as root (make test)")
	}
	ds := mkdirs(t, t.TempDir(), "lower", "upper", "work", "merged", "layer", "view")
	lower, upper, work, merged, layer, view := ds[0], ds[1], ds[2], ds[3], ds[4], ds[5]
	unpackLayer(t, lower, lowerLayer(t))
	unmount := mountOverlay(t, merged, upper, work, lower)

	changeThroughOverlay(t, merged)
	want := snapshot(t, merged)
	unmount()

	var diff bytes.Buffer
	if err := PackDiff(&diff, upper); err != nil {
		t.Fatal(err)
	}
	unpackLayer(t, layer, diff.Bytes())
	mountOverlay(t, view, "", "", lower, layer)
	got := snapshot(t, view)
	if !reflect.DeepEqual(got, want) {
		for p := range want {
			if !reflect.DeepEqual(got[p], want[p]) {
				t.Errorf("%s: %+v, want %+v", p, got[p], want[p])
			}
		}
		for p := range got {
			if _, ok := want[p]; !ok {
				t.Errorf("%s: %+v, not in the container's view", p, got[p])
			}
		}
	}
	if want["usr/bin/ping6"].LinkedTo != "usr/bin/ping" {
		t.Errorf("the hard link was not seen: %+v", want["usr/bin/ping6"])
	}
}

// changeThroughOverlay makes a container's changes to lowerLayer in the
// overlay mounted at merged.
func changeThroughOverlay(t *testing.T, merged string) {
	t.Helper()
	m := func(p string) string { return filepath.Join(merged, p) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Remove(m("etc/passwd")))
	must(os.RemoveAll(m("gone")))
	must(os.RemoveAll(m("opq")))
	must(os.MkdirAll(m("opq/sub"), 0o750))
	must(os.WriteFile(m("opq/sub/fresh"), []byte("fresh"), 0o640))
	must(os.Remove(m("fileToDir")))
	must(os.Mkdir(m("fileToDir"), 0o700))
	must(os.WriteFile(m("fileToDir/inside"), []byte("in"), 0o644))
	must(os.RemoveAll(m("dirToFile")))
	must(os.WriteFile(m("dirToFile"), []byte("now a file"), 0o600))
	must(os.WriteFile(m("keep/x"), []byte("changed x"), 0o644))
	must(os.Chmod(m("etc/group"), 0o600))
	must(os.Lchown(m("etc/group"), 0, 42))
	must(os.WriteFile(m("usr/bin/ping"), []byte("ping"), 0o755))
	must(unix.Setxattr(m("usr/bin/ping"), "security.capability", []byte(capV2), 0))
	must(unix.Setxattr(m("keep/x"), "user.note", []byte("note"), 0))
	must(os.Link(m("usr/bin/ping"), m("usr/bin/ping6")))
	must(os.Symlink("/etc/group", m("etc/link")))
	must(os.Chmod(m("usr/bin/passwd"), 0o4711))
	old := time.Unix(1.4e9, 0)
	must(os.Chtimes(m("keep/x"), old, old))
}

type tarEntry struct {
	Name     string
	Type     byte
	Mode     int64
	Linkname string
	Xattrs   []string
}

func listTar(t *testing.T, data []byte) []tarEntry {
	t.Helper()
	var out []tarEntry
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uname != "" || h.Gname != "" || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() || h.ModTime.Nanosecond() != 0 {
			t.Errorf("%s: uname %q gname %q atime %v ctime %v mtime %v: not reproducible", h.Name, h.Uname, h.Gname, h.AccessTime, h.ChangeTime, h.ModTime)
		}
		e := tarEntry{Name: h.Name, Type: h.Typeflag, Mode: h.Mode, Linkname: h.Linkname}
		for k := range h.PAXRecords {
			if strings.HasPrefix(k, paxXattr) {
				e.Xattrs = append(e.Xattrs, k[len(paxXattr):])
			}
		}
		sort.Strings(e.Xattrs)
		out = append(out, e)
	}
}

// PackDiff of an upper directory made by hand: exactly the OCI entries,
// in order, the same bytes every time.
func TestPackDiffEntries(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root to mknod and set trusted xattrs; run the tests as root (make test)")
	}
	upper := t.TempDir()
	p := func(s string) string { return filepath.Join(upper, s) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(p("etc"), 0o755))
	must(unix.Mknod(p("etc/passwd"), unix.S_IFCHR, 0))
	must(os.WriteFile(p("etc/aaa"), []byte("a"), 0o644))
	must(os.WriteFile(p("etc/zzz"), []byte("z"), 0o644))
	must(unix.Mknod(p("etc/zz-gone"), unix.S_IFCHR, 0))
	must(unix.Setxattr(p("etc"), "trusted.overlay.impure", []byte("y"), 0))
	must(os.Mkdir(p("opq"), 0o750))
	must(unix.Setxattr(p("opq"), opaqueXattr, []byte("y"), 0))
	must(os.WriteFile(p("opq/c"), []byte("c"), 0o644))
	must(os.WriteFile(p("ping"), []byte("ping"), 0o755))
	must(unix.Setxattr(p("ping"), "security.capability", []byte(capV2), 0))
	must(unix.Setxattr(p("ping"), "trusted.overlay.origin", []byte("x"), 0))
	must(os.Link(p("ping"), p("ping6")))
	must(unix.Mknod(p("null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
	must(os.Chmod(p("null"), 0o666)) // after mknod, which the umask limits
	must(os.Symlink("/etc/aaa", p("sym")))
	must(unix.Mkfifo(p("fifo"), 0o600))
	sub := time.Unix(1.5e9, 987654321) // in the tar: 1.5e9, as Docker truncates
	must(os.Chtimes(p("etc/aaa"), sub, sub))

	var first bytes.Buffer
	if err := PackDiff(&first, upper); err != nil {
		t.Fatal(err)
	}
	want := []tarEntry{
		{Name: "etc/", Type: tar.TypeDir, Mode: 0o755},
		{Name: "etc/.wh.passwd", Type: tar.TypeReg, Mode: 0o600},
		{Name: "etc/.wh.zz-gone", Type: tar.TypeReg, Mode: 0o600},
		{Name: "etc/aaa", Type: tar.TypeReg, Mode: 0o644},
		{Name: "etc/zzz", Type: tar.TypeReg, Mode: 0o644},
		{Name: "fifo", Type: tar.TypeFifo, Mode: 0o600},
		{Name: "null", Type: tar.TypeChar, Mode: 0o666},
		{Name: "opq/", Type: tar.TypeDir, Mode: 0o750},
		{Name: "opq/.wh..wh..opq", Type: tar.TypeReg, Mode: 0o600},
		{Name: "opq/c", Type: tar.TypeReg, Mode: 0o644},
		{Name: "ping", Type: tar.TypeReg, Mode: 0o755, Xattrs: []string{"security.capability"}},
		{Name: "ping6", Type: tar.TypeLink, Mode: 0o755, Linkname: "ping"},
		{Name: "sym", Type: tar.TypeSymlink, Mode: 0o777, Linkname: "/etc/aaa"},
	}
	if got := listTar(t, first.Bytes()); !reflect.DeepEqual(got, want) {
		t.Errorf("entries:\n%+v\nwant\n%+v", got, want)
	}
	tr := tar.NewReader(bytes.NewReader(first.Bytes()))
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("no etc/aaa in the tar: %v", err)
		}
		if h.Name == "etc/aaa" {
			if !h.ModTime.Equal(time.Unix(1.5e9, 0)) {
				t.Errorf("etc/aaa: mtime %v, want %v", h.ModTime, time.Unix(1.5e9, 0))
			}
			break
		}
	}

	// Reading every file (atime) and touching ctime change nothing.
	if _, err := os.ReadFile(p("etc/aaa")); err != nil {
		t.Fatal(err)
	}
	must(os.Chmod(p("etc/zzz"), 0o644))
	var second bytes.Buffer
	if err := PackDiff(&second, upper); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("the same upper dir packed to different bytes")
	}
}

// A directory renamed with redirect_dir or a file copied up with metacopy
// keeps its data in a lower layer: PackDiff fails rather than lose it.
func TestPackDiffRefusesRedirectAndMetacopy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root to set trusted xattrs; run the tests as root (make test)")
	}
	for _, attr := range []string{"trusted.overlay.redirect", "trusted.overlay.metacopy"} {
		t.Run(attr, func(t *testing.T) {
			upper := t.TempDir()
			if err := os.Mkdir(filepath.Join(upper, "d"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := unix.Setxattr(filepath.Join(upper, "d"), attr, []byte("/old"), 0); err != nil {
				t.Fatal(err)
			}
			err := PackDiff(io.Discard, upper)
			if err == nil || !strings.Contains(err.Error(), attr) {
				t.Fatalf("error %v, want one naming %s", err, attr)
			}
		})
	}
}

// dockerArchive writes a docker-archive (docker save's format) of an image
// whose layers are the given tars, lowest first, tagged tag.
func dockerArchive(t *testing.T, path, tag string, layers ...[]byte) {
	t.Helper()
	var diffIDs, names []string
	files := map[string][]byte{}
	for i, l := range layers {
		sum := sha256.Sum256(l)
		diffIDs = append(diffIDs, "sha256:"+hex.EncodeToString(sum[:]))
		name := "layer" + string(rune('0'+i)) + ".tar"
		names = append(names, name)
		files[name] = l
	}
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Cmd": []string{"/bin/true"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	if err != nil {
		t.Fatal(err)
	}
	files["config.json"] = config
	manifest, err := json.Marshal([]map[string]any{{"Config": "config.json", "RepoTags": []string{tag}, "Layers": names}})
	if err != nil {
		t.Fatal(err)
	}
	files["manifest.json"] = manifest
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range append([]string{"config.json", "manifest.json"}, names...) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The layer PackDiff writes is one podman accepts: an image of the lower
// layer and the diff, loaded with podman, flattens (podman create, export)
// to exactly the container's view the diff was taken of. podman applies
// the whiteouts itself (vfs driver), so this checks the format, not our
// own reading of it.
func TestPackDiffLayerAcceptedByPodman(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root to mount overlayfs; run the tests as root (make test)")
	}
	ds := mkdirs(t, t.TempDir(), "lower", "upper", "work", "merged", "flat")
	lower, upper, work, merged, flat := ds[0], ds[1], ds[2], ds[3], ds[4]
	// podman refuses a runroot path of more than 50 characters.
	pd, err := os.MkdirTemp("", "mdl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(pd) })
	base := lowerLayer(t)
	unpackLayer(t, lower, base)
	unmount := mountOverlay(t, merged, upper, work, lower)
	changeThroughOverlay(t, merged)
	want := snapshot(t, merged)
	unmount()
	var diff bytes.Buffer
	if err := PackDiff(&diff, upper); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(pd, "image.tar")
	dockerArchive(t, archive, "localhost/mydocker-layers-test:1", base, diff.Bytes())
	out, err := podmanScript(t, pd, `
$p load -q -i $1/image.tar >/dev/null
id=$($p create -q --network none localhost/mydocker-layers-test:1)
$p export -o $1/flat.tar $id
$p rm $id >/dev/null
$p rmi -a >/dev/null
`).CombinedOutput()
	if err != nil {
		t.Fatalf("podman: %v: %s", err, out)
	}
	f, err := os.Open(filepath.Join(pd, "flat.tar"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Unpack(f, flat, 0); err != nil {
		t.Fatal(err)
	}
	got := snapshot(t, flat)
	if !reflect.DeepEqual(got, want) {
		for p := range want {
			if !reflect.DeepEqual(got[p], want[p]) {
				t.Errorf("%s: %+v, want %+v", p, got[p], want[p])
			}
		}
		for p := range got {
			if _, ok := want[p]; !ok {
				t.Errorf("%s: %+v, not in the container's view", p, got[p])
			}
		}
	}
}

// The other direction: layers podman writes, unpacked by Unpack and
// stacked in a real overlay, show what podman's container had. The
// changes are made to a podman container's root (vfs: a plain directory)
// and committed by podman, whose naive diff writes OCI whiteouts.
func TestUnpackReadsPodmanLayers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root to mount overlayfs; run the tests as root (make test)")
	}
	pd, err := os.MkdirTemp("", "mdl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(pd) })
	dockerArchive(t, filepath.Join(pd, "base.tar"), "localhost/mydocker-layers-base:1", lowerLayer(t))
	// The script gives the container's root on fd 3, waits for the
	// changes (a line on fd 4), then commits and saves the image.
	cmd := podmanScript(t, pd, `
$p load -q -i $1/base.tar >/dev/null
id=$($p create -q --network none localhost/mydocker-layers-base:1)
$p mount $id >&3
exec 3>&-
read done <&4
$p commit -q $id localhost/mydocker-layers-changed:1 >/dev/null
$p save -q --format docker-archive -o $1/changed.tar localhost/mydocker-layers-changed:1
$p rm $id >/dev/null
$p rmi -a >/dev/null
`)
	rootR, rootW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	goR, goW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.ExtraFiles = &out, &out, []*os.File{rootW, goR}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rootW.Close()
	goR.Close()
	line, err := io.ReadAll(rootR) // until the script closes fd 3, or dies
	rootR.Close()
	root := strings.TrimSpace(string(line))
	if err != nil || root == "" {
		goW.Close()
		cmd.Wait()
		t.Fatalf("podman mount: %v: %s", err, out.Bytes())
	}
	changeThroughOverlay(t, root)
	want := snapshot(t, root)
	goW.Write([]byte("done\n"))
	goW.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("podman: %v: %s", err, out.Bytes())
	}

	layers := layersOfArchive(t, filepath.Join(pd, "changed.tar"))
	if len(layers) != 2 {
		t.Fatalf("podman saved %d layers, want 2", len(layers))
	}
	// The deletions are podman's whiteouts, for Unpack to turn into
	// overlayfs's.
	whiteouts := map[string]bool{}
	tr := tar.NewReader(bytes.NewReader(layers[1]))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		whiteouts[h.Name] = strings.Contains(h.Name, whiteoutPrefix)
	}
	if !whiteouts["etc/.wh.passwd"] || !whiteouts[".wh.gone"] {
		t.Fatalf("podman's layer has no whiteouts for the deletions: %v", whiteouts)
	}
	var dirs []string
	for i, l := range layers {
		d := filepath.Join(pd, fmt.Sprintf("layer%d", i))
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		unpackLayer(t, d, l)
		dirs = append(dirs, d)
	}
	view := filepath.Join(pd, "view")
	if err := os.Mkdir(view, 0o755); err != nil {
		t.Fatal(err)
	}
	mountOverlay(t, view, "", "", dirs...)
	got := snapshot(t, view)
	if !reflect.DeepEqual(got, want) {
		for p := range want {
			if !reflect.DeepEqual(got[p], want[p]) {
				t.Errorf("%s: %+v, want %+v", p, got[p], want[p])
			}
		}
		for p := range got {
			if _, ok := want[p]; !ok {
				t.Errorf("%s: %+v, not in podman's container", p, got[p])
			}
		}
	}
}

// podmanScript is a command that runs script with sh, $1 set to dir and
// $p to a podman command whose store, run and temporary files are all in
// dir. Whatever its --root, podman would update a blob cache in
// /var/lib/containers/cache and make its locks in /dev/shm: the script
// runs in a mount namespace of its own with a tmpfs on each, so the test
// leaves nothing on the machine and shares nothing with a user's podman.
// A hung podman is killed, with everything it started, after two minutes.
func podmanScript(t *testing.T, dir, script string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, "unshare", "--mount", "--propagation", "private", "sh", "-ec", `
mount -t tmpfs tmpfs /var/lib
mount -t tmpfs tmpfs /dev/shm
p="podman --root $1/root --runroot $1/run --tmpdir $1/tmp --storage-driver vfs --events-backend none --cgroup-manager cgroupfs"
`+script, "sh", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		cancel()
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	return cmd
}

// layersOfArchive reads a docker-archive's layer tars, lowest first.
func layersOfArchive(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = b
	}
	var manifest []struct{ Layers []string }
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("manifest.json: %v %s", err, files["manifest.json"])
	}
	var layers [][]byte
	for _, name := range manifest[0].Layers {
		l, ok := files[name]
		if !ok {
			t.Fatalf("no layer %s in the archive", name)
		}
		layers = append(layers, l)
	}
	return layers
}
