package image

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
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
	if err := Unpack(bytes.NewReader(modeTar(t, entries)), first); err != nil {
		t.Fatal(err)
	}
	var packed bytes.Buffer
	if err := Pack(&packed, first); err != nil {
		t.Fatal(err)
	}
	second := t.TempDir()
	if err := Unpack(bytes.NewReader(packed.Bytes()), second); err != nil {
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
	if err := Unpack(&buf, dest); err != nil {
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
