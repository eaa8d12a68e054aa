package utils

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// RemoveAllUnmounted through its walk: every kind of entry goes, nothing
// outside the tree is touched through a link, and a mount anywhere in the
// tree (a directory, a file, the tree itself) is unmounted, not emptied.
func TestRemoveAllUnmountedTree(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test bind-mounts: run it as root")
	}
	for _, tc := range []struct {
		name  string
		mount string // "", "dir", "file" or "top": what is bind-mounted
	}{
		{"plain tree", ""},
		{"directory mount inside", "dir"},
		{"file mount inside", "file"},
		{"the tree itself a mount", "top"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			tree := filepath.Join(base, "tree")
			outside := filepath.Join(base, "outside")
			keep := filepath.Join(outside, "keep")
			for _, d := range []string{filepath.Join(tree, "a", "b", "c"), filepath.Join(tree, "mnt"), outside} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(keep, []byte("keep"), 0o644); err != nil {
				t.Fatal(err)
			}
			// Many files, more than one directory read returns.
			for i := 0; i < 600; i++ {
				if err := os.WriteFile(filepath.Join(tree, "a", "f"+string(rune('a'+i%26))+string(rune('a'+i/26))), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, l := range []struct{ target, name string }{
				{outside, filepath.Join(tree, "a", "b", "dirlink")},
				{keep, filepath.Join(tree, "filelink")},
			} {
				if err := os.Symlink(l.target, l.name); err != nil {
					t.Fatal(err)
				}
			}
			if err := unix.Mkfifo(filepath.Join(tree, "a", "b", "c", "fifo"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(tree, "file"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			var target string
			src := outside
			switch tc.mount {
			case "dir":
				target = filepath.Join(tree, "mnt")
			case "file":
				target, src = filepath.Join(tree, "file"), keep
			case "top":
				target, src = tree, tree
			}
			if target != "" {
				if err := unix.Mount(src, target, "", unix.MS_BIND, ""); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { unix.Unmount(target, unix.MNT_DETACH) })
			}
			if err := RemoveAllUnmounted(tree); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Lstat(tree); !os.IsNotExist(err) {
				t.Fatalf("%s still there: %v", tree, err)
			}
			if data, err := os.ReadFile(keep); err != nil || string(data) != "keep" {
				t.Fatalf("file outside the tree lost: %q %v", data, err)
			}
			if points, err := MountsUnder(base); err != nil || len(points) != 0 {
				t.Fatalf("mounts left: %v %v", points, err)
			}
			if err := RemoveAllUnmounted(tree); err != nil {
				t.Fatalf("removing it again: %v", err)
			}
		})
	}
}

// The walk itself: it removes a plain tree, and stops at a mount without
// touching what is on it.
func TestRemoveOnOneMountStopsAtAMount(t *testing.T) {
	dir, file := volumeInside(t)
	if err := removeOnOneMount(dir); err != errOtherMount {
		t.Fatalf("walk over a tree holding a mount: %v, want errOtherMount", err)
	}
	if data, err := os.ReadFile(file); err != nil || string(data) != "keep" {
		t.Fatalf("volume data lost: %q %v", data, err)
	}
	plain := filepath.Join(t.TempDir(), "plain")
	if err := os.MkdirAll(filepath.Join(plain, "x", "y"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := removeOnOneMount(plain); err != nil {
		t.Fatalf("walk over a plain tree: %v", err)
	}
	if _, err := os.Lstat(plain); !os.IsNotExist(err) {
		t.Fatalf("%s still there: %v", plain, err)
	}
}
