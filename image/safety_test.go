package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// modeEntry is a tar entry with its owner and mode spelled out.
type modeEntry struct {
	name string
	typ  byte
	mode int64
	uid  int
}

func modeTar(t *testing.T, entries []modeEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Uid: e.uid, Gid: e.uid, ModTime: time.Unix(1e9, 0)}
		if e.typ == tar.TypeReg {
			h.Size = 1
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write([]byte("x")); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func statT(t *testing.T, p string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// Setuid, setgid and sticky bits survive unpacking, a pack of the result
// and a second unpack, on files owned by someone other than root too
// (chown clears setuid: chmod must come after it).
func TestUnpackKeepsSpecialModes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root to chown; run the tests as root (make test)")
	}
	entries := []modeEntry{
		{"./", tar.TypeDir, 0o755, 0},
		{"tmp/", tar.TypeDir, 0o1777, 0},
		{"shared/", tar.TypeDir, 0o2775, 1000},
		{"bin/", tar.TypeDir, 0o755, 0},
		{"bin/su", tar.TypeReg, 0o4755, 0},
		{"bin/wall", tar.TypeReg, 0o2755, 0},
		{"bin/mine", tar.TypeReg, 0o6750, 1000},
		{"bin/plain", tar.TypeReg, 0o644, 1000},
	}
	first := t.TempDir()
	if err := Unpack(bytes.NewReader(modeTar(t, entries)), first, 0); err != nil {
		t.Fatal(err)
	}
	var packed bytes.Buffer
	if err := Pack(&packed, first); err != nil {
		t.Fatal(err)
	}
	second := t.TempDir()
	if err := Unpack(bytes.NewReader(packed.Bytes()), second, 0); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{first, second} {
		for _, e := range entries {
			st := statT(t, filepath.Join(dir, e.name))
			if got := int64(st.Mode & 0o7777); got != e.mode {
				t.Errorf("%s/%s: mode %#o, want %#o", filepath.Base(dir), e.name, got, e.mode)
			}
			if int(st.Uid) != e.uid || int(st.Gid) != e.uid {
				t.Errorf("%s/%s: owner %d:%d, want %d", filepath.Base(dir), e.name, st.Uid, st.Gid, e.uid)
			}
		}
	}
}

// sparseTar makes, with GNU tar, an archive of one file of size bytes that
// is all hole but for "data" at offset 1 MiB.
func sparseTar(t *testing.T, format string, size int64) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "disk.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("data"), 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := filepath.Join(dir, "sparse.tar")
	if b, err := exec.Command("tar", "-C", dir, "--sparse", "--format="+format, "-cf", out, "disk.img").CombinedOutput(); err != nil {
		t.Fatalf("tar --sparse: %v: %s", err, b)
	}
	return out
}

// A sparse entry (GNU or PAX) unpacks as a sparse file: a 10 KB archive of
// a 2 GiB file must not allocate 2 GiB.
func TestUnpackKeepsSparseFilesSparse(t *testing.T) {
	for _, format := range []string{"gnu", "posix"} {
		t.Run(format, func(t *testing.T) {
			tarPath := sparseTar(t, format, 2<<30)
			if fi, err := os.Stat(tarPath); err != nil || fi.Size() > 64<<10 {
				t.Fatalf("archive not sparse: %v %v", fi.Size(), err)
			}
			f, err := os.Open(tarPath)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			dest := t.TempDir()
			if err := Unpack(f, dest, 0); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dest, "disk.img")
			st := statT(t, p)
			if st.Size != 2<<30 {
				t.Fatalf("size %d, want 2 GiB", st.Size)
			}
			if st.Blocks*512 > 1<<20 {
				t.Fatalf("a sparse 2 GiB file allocated %d bytes", st.Blocks*512)
			}
			g, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			buf := make([]byte, 6)
			if _, err := g.ReadAt(buf, 1<<20-1); err != nil || string(buf) != "\x00data\x00" {
				t.Fatalf("content %q, %v", buf, err)
			}
		})
	}
}

// Long runs of zeros in a plain entry become holes too; the data around
// them, and a file that ends in zeros, keep their exact content and size.
func TestWriteSparse(t *testing.T) {
	block := func(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }
	tests := []struct {
		name    string
		content []byte
	}{
		{"empty", nil},
		{"short", []byte("abc")},
		{"zeros only", block(0, 3*holeBlock+5)},
		{"data, hole, data", append(append(block('a', 10), block(0, 8<<20)...), 'z')},
		{"ends in a hole", append(block('a', holeBlock+1), block(0, 4<<20)...)},
		{"zeros across chunks", append(append(block('b', copyChunk-3), block(0, 2*copyChunk)...), block('c', 7)...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f")
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			// A reader that returns little at a time, as a tar stream may.
			if err := writeSparse(f, io.LimitReader(&slowReader{bytes.NewReader(tc.content)}, 1<<40), make([]byte, copyChunk)); err != nil {
				t.Fatal(err)
			}
			f.Close()
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.content) {
				t.Fatalf("content differs: %d bytes, want %d", len(got), len(tc.content))
			}
			if zeros := bytes.Count(tc.content, []byte{0}); zeros >= 4<<20 {
				if alloc := statT(t, p).Blocks * 512; alloc > int64(len(tc.content)-zeros)+4*holeBlock {
					t.Fatalf("%d bytes allocated for %d bytes of data", alloc, len(tc.content)-zeros)
				}
			}
		})
	}
}

type slowReader struct{ r io.Reader }

func (s *slowReader) Read(p []byte) (int, error) {
	if len(p) > 1000 {
		p = p[:1000]
	}
	return s.r.Read(p)
}

// A truncated archive is an error, not a short file.
func TestUnpackTruncated(t *testing.T) {
	data := makeTar(t, []entry{{name: "f", typ: tar.TypeReg, body: strings.Repeat("x", 5000)}})
	err := Unpack(bytes.NewReader(data[:512+1000]), t.TempDir(), 0)
	if err == nil {
		t.Fatal("unpacked a truncated archive")
	}
}

func TestUnpackBound(t *testing.T) {
	small := makeTar(t, []entry{{name: "a", typ: tar.TypeReg, body: strings.Repeat("x", 3000)}, {name: "b", typ: tar.TypeReg, body: strings.Repeat("y", 3000)}})
	if err := Unpack(bytes.NewReader(small), t.TempDir(), 8<<10); err != nil {
		t.Fatalf("within the limit: %v", err)
	}
	dest := t.TempDir()
	err := Unpack(bytes.NewReader(small), dest, 5<<10)
	if err == nil || !strings.Contains(err.Error(), "5KiB limit") || !strings.Contains(err.Error(), MaxSizeEnv) {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dest, "b")); err == nil {
		t.Fatal("wrote the entry that passed the limit")
	}
	// A sparse file counts at its full size, and fails before any of its
	// zeros are read.
	for _, format := range []string{"posix", "gnu"} {
		f, err := os.Open(sparseTar(t, format, 1<<40))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := Unpack(f, t.TempDir(), 1<<30); err == nil || !strings.Contains(err.Error(), "1GiB limit") {
			t.Fatalf("%s: 1 TiB sparse file under a 1 GiB limit: %v", format, err)
		}
	}
}

// A directory followed by a symlink of the same name: setting the
// directory's time at the end must not follow the symlink to the host.
func TestUnpackDirThenSymlinkLeavesTargetAlone(t *testing.T) {
	outside := t.TempDir()
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(outside, old, old); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []*tar.Header{
		{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o700, ModTime: time.Unix(1.5e9, 0)},
		{Name: "d", Typeflag: tar.TypeSymlink, Linkname: outside, Mode: 0o777, ModTime: time.Unix(1.5e9, 0)},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	dest := t.TempDir()
	if err := Unpack(&buf, dest, 0); err != nil {
		t.Fatal(err)
	}
	if l, err := os.Readlink(filepath.Join(dest, "d")); err != nil || l != outside {
		t.Fatalf("d: %q %v", l, err)
	}
	fi, err := os.Stat(outside)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.ModTime().Equal(old) {
		t.Fatalf("host directory's mtime changed to %v", fi.ModTime())
	}
	if fi.Mode().Perm() == 0o700 {
		t.Fatal("host directory's mode changed")
	}
}

// zeroReader is /dev/zero.
type zeroReader struct{ n int64 }

func (z *zeroReader) Read(p []byte) (int, error) {
	clear(p)
	z.n += int64(len(p))
	return len(p), nil
}

func TestTempOwner(t *testing.T) {
	mine, err := tempName(unpackPrefix)
	if err != nil {
		t.Fatal(err)
	}
	// A process that has exited: its pid's start time no longer matches.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		mine:                            true,
		unpackPrefix + "1-999999999-00": false, // pid 1, but not started then
		unpackPrefix + strconv.Itoa(cmd.Process.Pid) + "-1-00": false,
		unpackPrefix + "123456789":                             false, // an older mydocker's random name
		unpackPrefix + "x-y-z":                                 false,
	} {
		if got := ownerAlive(name, unpackPrefix); got != want {
			t.Errorf("ownerAlive(%q) = %v, want %v", name, got, want)
		}
	}
}

// commit is bounded too: a container makes a sparse file of any size in a
// moment, and a tar would spell all of it out.
func TestPackBound(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "huge"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 40); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := &cappedWriter{left: 64 << 10}
	if err := packWithin(out, dir, 1<<30, false); err == nil || !strings.Contains(err.Error(), "1GiB limit") {
		t.Fatalf("packed a 1 TiB file under a 1 GiB limit: %v", err)
	}
}

// cappedWriter fails once more than left bytes were written to it.
type cappedWriter struct{ left int }

func (c *cappedWriter) Write(p []byte) (int, error) {
	if len(p) > c.left {
		return 0, errors.New("wrote more than the test allows")
	}
	c.left -= len(p)
	return len(p), nil
}

// A whiteout of a symlink removes the symlink, never what it points at,
// and the whiteout takes its place inside the layer.
func TestUnpackWhiteoutOfSymlinkLeavesTargetAlone(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root to mknod a whiteout; run the tests as root (make test)")
	}
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "keep"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{outside, filepath.Join(outside, "keep")} {
		dest := t.TempDir()
		data := layerTar(t,
			te{Header: tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: target}},
			reg(".wh.link", ""),
		)
		if err := Unpack(bytes.NewReader(data), dest, 0); err != nil {
			t.Fatal(err)
		}
		checkWhiteout(t, filepath.Join(dest, "link"))
		checkFile(t, filepath.Join(outside, "keep"), "keep")
	}
}
