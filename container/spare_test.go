package container

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// skeleton makes the directories Mount makes for a workspace in a new
// state root, and returns it with its spares beside it.
func skeleton(t *testing.T, root string) Workspace {
	t.Helper()
	w := Workspace{Dir: filepath.Join(root, "overlay2", fmt.Sprintf("%064d", len(t.Name()))), Spares: SpareWorkspaceDir(root)}
	for _, d := range []string{w.Dir, w.Upper(), w.work(), filepath.Join(w.work(), "work"), w.Merged(), w.Lower()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func spares(t *testing.T, w Workspace) []string {
	t.Helper()
	names, err := dirNames(w.Spares, -1)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return names
}

// A workspace is kept only when its container left nothing in it: each
// case below leaves one thing and must be refused, with the workspace
// left where it is for the caller to remove.
func TestKeepSpareOnlyEmptyWorkspaces(t *testing.T) {
	for _, tc := range []struct {
		name  string
		leave func(t *testing.T, w Workspace)
		keep  bool
	}{
		{"empty", func(*testing.T, Workspace) {}, true},
		{"overlay's uuid on upper", func(t *testing.T, w Workspace) {
			if err := unix.Lsetxattr(w.Upper(), overlayUUIDAttr, []byte("0123456789abcdef"), 0); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"volatile marker in work/work", func(t *testing.T, w Workspace) {
			if err := os.MkdirAll(filepath.Join(w.work(), "work", "incompat", "volatile"), 0o700); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"a file in upper", func(t *testing.T, w Workspace) {
			if err := os.WriteFile(filepath.Join(w.Upper(), "secret"), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"a whiteout in upper", func(t *testing.T, w Workspace) {
			if err := unix.Mknod(filepath.Join(w.Upper(), "bin"), unix.S_IFCHR, 0); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"a user attribute on upper", func(t *testing.T, w Workspace) {
			if err := unix.Lsetxattr(w.Upper(), "user.mark", []byte("x"), 0); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"uuid and another attribute", func(t *testing.T, w Workspace) {
			for _, a := range []string{overlayUUIDAttr, "trusted.overlay.opaque"} {
				if err := unix.Lsetxattr(w.Upper(), a, []byte("y"), 0); err != nil {
					t.Fatal(err)
				}
			}
		}, false},
		{"upper replaced by a link", func(t *testing.T, w Workspace) {
			os.Remove(w.Upper())
			if err := os.Symlink(w.Merged(), w.Upper()); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"a file in merged", func(t *testing.T, w Workspace) {
			if err := os.WriteFile(filepath.Join(w.Merged(), "f"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"something else in the workspace", func(t *testing.T, w Workspace) {
			if err := os.Mkdir(filepath.Join(w.Dir, "diff"), 0o700); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"something else in work", func(t *testing.T, w Workspace) {
			if err := os.Mkdir(filepath.Join(w.work(), "index"), 0o700); err != nil {
				t.Fatal(err)
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := skeleton(t, t.TempDir())
			tc.leave(t, w)
			if got := w.keepSpare(); got != tc.keep {
				t.Fatalf("keepSpare() = %v, want %v", got, tc.keep)
			}
			kept := spares(t, w)
			if !tc.keep {
				if len(kept) != 0 {
					t.Fatalf("spares %v after a refusal", kept)
				}
				if _, err := os.Lstat(w.Dir); err != nil {
					t.Fatalf("the refused workspace is gone: %v", err)
				}
				return
			}
			if len(kept) != 1 {
				t.Fatalf("spares: %v, want one", kept)
			}
			if _, err := os.Lstat(w.Dir); !os.IsNotExist(err) {
				t.Fatalf("the kept workspace is still at %s: %v", w.Dir, err)
			}
			spare := Workspace{Dir: filepath.Join(w.Spares, kept[0])}
			if names, _ := dirNames(spare.work(), -1); len(names) != 0 {
				t.Errorf("work of the spare holds %v: the next mount would meet the old scratch space", names)
			}
			if n, err := unix.Llistxattr(spare.Upper(), nil); err != nil || n != 0 {
				t.Errorf("upper of the spare keeps %d bytes of attribute names (%v)", n, err)
			}
		})
	}
}

// A root keeps at most maxSpareWorkspaces; the next one is refused.
func TestKeepSpareBounded(t *testing.T) {
	root := t.TempDir()
	for i := 0; i <= maxSpareWorkspaces; i++ {
		w := skeleton(t, root)
		want := i < maxSpareWorkspaces
		if got := w.keepSpare(); got != want {
			t.Fatalf("workspace %d: keepSpare() = %v, want %v", i, got, want)
		}
	}
	if n := len(spares(t, skeleton(t, root))); n != maxSpareWorkspaces {
		t.Fatalf("%d spares, want %d", n, maxSpareWorkspaces)
	}
}

// A spare is renamed into place once; one found with something in upper
// (put there behind our back) is removed rather than used.
func TestTakeSpare(t *testing.T) {
	root := t.TempDir()
	w := skeleton(t, root)
	if !w.keepSpare() {
		t.Fatal("empty workspace not kept")
	}
	next := Workspace{Dir: filepath.Join(root, "overlay2", "next"), Spares: w.Spares}
	if ok, err := next.takeSpare(); !ok || err != nil {
		t.Fatalf("no spare taken: %v", err)
	}
	if empty, err := isEmptyDir(next.Upper()); err != nil || !empty {
		t.Fatalf("taken upper: empty %v, %v", empty, err)
	}
	if n := len(spares(t, w)); n != 0 {
		t.Fatalf("%d spares left after the only one was taken", n)
	}
	again := Workspace{Dir: filepath.Join(root, "overlay2", "again"), Spares: w.Spares}
	if ok, err := again.takeSpare(); ok || err != nil {
		t.Fatalf("a spare taken from an empty pool (%v)", err)
	}

	// Tampered with while kept: never handed to a container.
	w = skeleton(t, root)
	if !w.keepSpare() {
		t.Fatal("empty workspace not kept")
	}
	kept := spares(t, w)
	if err := os.WriteFile(filepath.Join(w.Spares, kept[0], "upper", "planted"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ok, err := again.takeSpare(); ok || err != nil {
		t.Fatalf("a spare with a file in upper was taken (%v)", err)
	}
	if _, err := os.Lstat(again.Dir); !os.IsNotExist(err) {
		t.Fatalf("the tampered spare is left at %s: %v", again.Dir, err)
	}
	if n := len(spares(t, w)); n != 0 {
		t.Fatalf("the tampered spare is still kept (%d)", n)
	}
}
