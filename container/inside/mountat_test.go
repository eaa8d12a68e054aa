package inside

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each case builds a root with the symlinks an image might carry and an
// "outside" directory standing for the host, resolves a path inside the
// root, and checks where it landed and that outside stayed empty.
func TestInRootResolution(t *testing.T) {
	tests := []struct {
		name  string
		links map[string]string // link in root -> target ("OUT" is the outside dir)
		op    string            // mkdir, mkfile, nosym, nosym-mkdir
		path  string
		want  string // where the result lies, relative to root ("" for the root)
		err   string
	}{
		{"plain dir", nil, "mkdir", "/a/b", "a/b", ""},
		{"absolute link out", map[string]string{"a": "OUT"}, "mkdir", "/a/b", "OUT/b", ""},
		{"relative link climbing out", map[string]string{"a": "../../../../../OUT"}, "mkdir", "/a/b", "OUT/b", ""},
		{"link to the root", map[string]string{"a": ".."}, "mkdir", "/a", "", "container's root"},
		{"dangling file link", map[string]string{"hosts": "OUT/hosts"}, "mkfile", "/hosts", "OUT/hosts", ""},
		{"file through dir link", map[string]string{"etc": "../../OUT"}, "mkfile", "/etc/hosts", "OUT/hosts", ""},
		{"file link to the root", map[string]string{"f": "/"}, "mkfile", "/f", "", "container's root"},
		{"kernel mount point made", nil, "nosym-mkdir", "/dev/pts", "dev/pts", ""},
		{"kernel mount point a link", map[string]string{"proc": "OUT"}, "nosym-mkdir", "/proc", "", "is a symlink"},
		{"link above a mount point", map[string]string{"dev": "OUT"}, "nosym-mkdir", "/dev/shm", "", "is a symlink"},
		{"missing masked path", nil, "nosym", "/proc/kcore", "", "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			outside := t.TempDir()
			for link, target := range tc.links {
				target = strings.Replace(target, "OUT", strings.TrimPrefix(outside, "/"), 1)
				if strings.HasPrefix(target, strings.TrimPrefix(outside, "/")) {
					target = "/" + target
				}
				if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
					t.Fatal(err)
				}
			}
			r, err := openRoot(root)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var f *os.File
			switch tc.op {
			case "mkdir":
				f, err = r.mkdirAll(tc.path)
			case "mkfile":
				f, err = r.mkfile(tc.path)
			case "nosym":
				f, err = r.openNoSymlinks(tc.path, false)
			case "nosym-mkdir":
				f, err = r.openNoSymlinks(tc.path, true)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				got, err := os.Readlink(fdPath(f))
				if err != nil {
					t.Fatal(err)
				}
				want := filepath.Join(root, strings.Replace(tc.want, "OUT", strings.TrimPrefix(outside, "/"), 1))
				if got != want {
					t.Fatalf("resolved to %s, want %s", got, want)
				}
			}
			if entries, err := os.ReadDir(outside); err != nil || len(entries) > 0 {
				t.Fatalf("outside touched: %v %v", entries, err)
			}
		})
	}
}

func TestOpenNoSymlinksNamesTheLink(t *testing.T) {
	root := t.TempDir()
	if err := os.Symlink("/", filepath.Join(root, "sys")); err != nil {
		t.Fatal(err)
	}
	r, err := openRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = r.openNoSymlinks("/sys/firmware", false)
	var pe *os.PathError
	if !errors.As(err, &pe) || pe.Path != "/sys" || !errors.Is(err, errSymlink) {
		t.Fatalf("err = %v, want /sys: is a symlink", err)
	}
}
