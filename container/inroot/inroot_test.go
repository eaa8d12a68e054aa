package inroot

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// tree makes a root under a directory that also holds a file outside it
// (secret), and symlinks inside the root that try to reach it.
func tree(t testing.TB) (root *os.File, outside string) {
	t.Helper()
	dir := t.TempDir()
	outside = filepath.Join(dir, "secret")
	r := filepath.Join(dir, "root")
	for _, d := range []string{"etc", "dir/sub"} {
		if err := os.MkdirAll(filepath.Join(r, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{outside, filepath.Join(r, "etc/passwd")} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"etc/hosts":   "/etc/passwd",                // absolute: inside the root
		"up":          "../secret",                  // relative, out of the root
		"deep":        "dir/sub/../../../../secret", // more ".." than there are levels
		"abs-out":     outside,                      // the host's own path
		"magic":       "/proc/self/root" + outside,  // a magic link to the host's root
		"loop":        "loop",
		"dir/parent":  "..",
		"dir/sub/etc": "/etc",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(r, name)); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenFile(r, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return root, outside
}

func inode(t testing.TB, f *os.File) [2]uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	return [2]uint64{st.Dev, st.Ino}
}

func TestOpen(t *testing.T) {
	root, outside := tree(t)
	passwd, err := os.Open(filepath.Join(root.Name(), "etc/passwd"))
	if err != nil {
		t.Fatal(err)
	}
	defer passwd.Close()
	secret, err := os.Open(outside)
	if err != nil {
		t.Fatal(err)
	}
	defer secret.Close()
	for _, tc := range []struct {
		path string
		want *os.File   // the file it must be, or
		err  unix.Errno // the error it must give
	}{
		{path: "/etc/passwd", want: passwd},
		{path: "etc/passwd", want: passwd},
		{path: "etc/hosts", want: passwd},
		{path: "../../../etc/passwd", want: passwd},
		{path: "dir/parent/etc/passwd", want: passwd},
		{path: "dir/sub/etc/passwd", want: passwd},
		{path: "up", err: unix.ENOENT},
		{path: "deep", err: unix.ENOENT},
		{path: "abs-out", err: unix.ENOENT},
		{path: "../secret", err: unix.ENOENT},
		{path: "magic", err: unix.ENOENT}, // the root has no /proc
		{path: "loop", err: unix.ELOOP},
		{path: "missing", err: unix.ENOENT},
		{path: "etc/passwd/x", err: unix.ENOTDIR},
	} {
		f, err := Open(root, tc.path)
		switch {
		case tc.want != nil && err != nil:
			t.Errorf("Open(%q): %v, want %s", tc.path, err, tc.want.Name())
		case tc.want != nil:
			if inode(t, f) != inode(t, tc.want) {
				t.Errorf("Open(%q) opened another file than %s", tc.path, tc.want.Name())
			}
		case err == nil:
			if inode(t, f) == inode(t, secret) {
				t.Errorf("Open(%q) reached %s, outside the root", tc.path, outside)
			} else {
				t.Errorf("Open(%q) succeeded, want %v", tc.path, tc.err)
			}
		case !errors.Is(err, tc.err):
			t.Errorf("Open(%q): %v, want %v", tc.path, err, tc.err)
		}
		if f != nil {
			f.Close()
		}
	}
}

// A magic link is never followed, even where the root has a procfs: with
// / as the root, /proc/self/root and /proc/self/fd/N lead nowhere.
func TestOpenRefusesMagicLinks(t *testing.T) {
	root, err := os.OpenFile("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if f, err := Open(root, "/proc/self/status"); err != nil {
		t.Fatalf("a plain file under /proc: %v", err)
	} else {
		f.Close()
	}
	for _, p := range []string{"/proc/self/root/proc/self/status", "/proc/self/fd/" + strconv.Itoa(int(root.Fd()))} {
		f, err := Open(root, p)
		if err == nil {
			f.Close()
			t.Errorf("Open(%q) followed a magic link", p)
		} else if !errors.Is(err, unix.ELOOP) {
			t.Errorf("Open(%q): %v, want %v", p, err, unix.ELOOP)
		}
	}
}

// Open is pathrs.OpenatInRoot's lookup without its naming: for any path
// both must find the same file or fail the same way.
func FuzzOpenMatchesPathrs(f *testing.F) {
	for _, p := range []string{"etc/passwd", "/etc/hosts", "up", "deep", "magic", "loop", "dir/parent/..", "../../x", "", "/", "etc/passwd/", "dir//sub/./etc"} {
		f.Add(p)
	}
	root, _ := tree(f)
	f.Fuzz(func(t *testing.T, p string) {
		got, gerr := Open(root, p)
		want, werr := pathrs.OpenatInRoot(root, p)
		if got != nil {
			defer got.Close()
		}
		if want != nil {
			defer want.Close()
		}
		switch {
		case (gerr == nil) != (werr == nil):
			t.Fatalf("%q: Open gave %v, pathrs %v", p, gerr, werr)
		case gerr != nil:
			var ge, we unix.Errno
			if !errors.As(gerr, &ge) || !errors.As(werr, &we) || ge != we {
				t.Fatalf("%q: Open gave %v, pathrs %v", p, gerr, werr)
			}
		case inode(t, got) != inode(t, want):
			t.Fatalf("%q: Open and pathrs opened different files", p)
		}
	})
}
