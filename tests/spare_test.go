package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A --rm container's emptied workspace is kept for the next container
// (container/spare.go), but never one holding anything of its
// container: a container that writes a file, removes one of the
// image's, or changes its / leaves nothing of it to the next, which
// sees its image as it is.
func TestSpareWorkspaceCarriesNothing(t *testing.T) {
	e := newEnv(t)
	spareDir := filepath.Join(e.root, "spare")
	count := func() int {
		entries, err := os.ReadDir(spareDir)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return len(entries)
	}

	e.ok("run", "--rm", "--network", "none", "busybox", "true")
	if n := count(); n != 1 {
		t.Fatalf("%d spare workspaces after a container that wrote nothing, want 1", n)
	}
	// Each attack takes the spare; one that leaves anything in the
	// workspace must not give it back. A changed / (upper's own mode) is
	// given back, and the next container's / has the image's mode again.
	for _, attack := range []struct {
		script string
		kept   bool
	}{
		{"echo secret > /secret", false},
		{"rm /bin/true", false},                 // a whiteout
		{"mkdir /var/x && rmdir /var/x", false}, // /var copied up
		{"chmod 777 / && chown 1:1 /", true},
	} {
		e.ok("run", "--rm", "--network", "none", "busybox", "sh", "-c", attack.script)
		want := 0
		if attack.kept {
			want = 1
		}
		if n := count(); n != want {
			t.Fatalf("after %q: %d spare workspaces, want %d", attack.script, n, want)
		}
		e.ok("run", "--rm", "--network", "none", "busybox", "true") // a spare again
		got := e.ok("run", "--rm", "--network", "none", "busybox", "sh", "-c", "ls -ldn / | cut -c1-10,11-30; ls /secret /bin/true 2>&1; ls /var")
		root := strings.Fields(strings.SplitN(got, "\n", 2)[0]) // mode, links, owner, group
		if len(root) < 4 || root[0] != "drwxr-xr-x" || root[2] != "0" || root[3] != "0" || strings.Contains(got, "/secret\n") ||
			!strings.Contains(got, "/bin/true\n") || strings.Contains(got, "\nx\n") {
			t.Fatalf("after %q, the next container sees:\n%s", attack.script, got)
		}
	}
	if n := count(); n != 1 {
		t.Fatalf("%d spare workspaces at the end, want 1", n)
	}
	e.assertNothingLeft()
}
