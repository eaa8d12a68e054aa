package utils

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// removeEnv makes the test binary, re-run inside a new user namespace,
// call RemoveAllUnmounted on the directory it names and exit.
const removeEnv = "MYDOCKER_TEST_REMOVE_ALL_UNMOUNTED"

func TestMain(m *testing.M) {
	if dir := os.Getenv(removeEnv); dir != "" {
		if err := RemoveAllUnmounted(dir); err != nil {
			os.Stdout.WriteString("refused: " + err.Error() + "\n")
			os.Exit(0)
		}
		os.Stdout.WriteString("removed\n")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// volumeInside makes dir/vol a bind mount of a separate "volume" holding a
// file, as a container's volume sits inside its record directory, and
// returns the directory and the volume's file.
func volumeInside(t *testing.T) (dir, file string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test bind-mounts a directory: run it as root")
	}
	base := t.TempDir()
	dir, vol := filepath.Join(base, "dir"), filepath.Join(base, "vol")
	for _, d := range []string{filepath.Join(dir, "vol"), vol} {
		if err := os.MkdirAll(d, 0o777); err != nil {
			t.Fatal(err)
		}
		// World-writable, so even an unmapped user could delete the data:
		// only the mount check stands between RemoveAll and it.
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	file = filepath.Join(vol, "data")
	if err := os.WriteFile(file, []byte("keep"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(vol, filepath.Join(dir, "vol"), "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(filepath.Join(dir, "vol"), unix.MNT_DETACH) })
	return dir, file
}

func TestRemoveAllUnmountedUnmountsFirst(t *testing.T) {
	dir, file := volumeInside(t)
	if err := RemoveAllUnmounted(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("%s still there: %v", dir, err)
	}
	if data, err := os.ReadFile(file); err != nil || string(data) != "keep" {
		t.Fatalf("volume data lost: %q %v", data, err)
	}
}

// In a user namespace the mounts inherited from the host are locked:
// umount says EINVAL ("not mounted"), which Unmount treats as done. Only
// the mountinfo check after unmounting then keeps RemoveAll out of the
// volume.
func TestRemoveAllUnmountedRefusesWhatStaysMounted(t *testing.T) {
	dir, file := volumeInside(t)
	cmd := exec.Command("unshare", "--user", "--map-root-user", "--mount", os.Args[0])
	cmd.Env = append(os.Environ(), removeEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("unshare: %v: %s", err, out)
	}
	if !strings.HasPrefix(string(out), "refused: ") || !strings.Contains(string(out), "still mounted") {
		t.Errorf("RemoveAllUnmounted with a mount it could not unmount: %q", out)
	}
	if data, err := os.ReadFile(file); err != nil || string(data) != "keep" {
		t.Fatalf("volume data lost: %q %v", data, err)
	}
}

func TestIsMountRootAndUnmountRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test mounts tmpfs: run it as root")
	}
	base := t.TempDir()
	plain, stacked := filepath.Join(base, "plain"), filepath.Join(base, "stacked")
	for _, d := range []string{plain, stacked} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Two mounts stacked at one point: the top one hides the other.
	for i := 0; i < 2; i++ {
		if err := unix.Mount("tmpfs", stacked, "tmpfs", 0, "size=64k"); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for unix.Unmount(stacked, unix.MNT_DETACH) == nil {
		}
	})
	if err := os.Mkdir(filepath.Join(stacked, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want bool
	}{
		{plain, false},
		{stacked, true},
		{filepath.Join(stacked, "sub"), false}, // inside a mount, not its root
		{filepath.Join(base, "missing"), false},
	} {
		if got, err := IsMountRoot(tc.path); err != nil || got != tc.want {
			t.Errorf("IsMountRoot(%s) = %v, %v; want %v", tc.path, got, err, tc.want)
		}
	}
	if did, err := UnmountRoot(stacked); err != nil || !did {
		t.Fatalf("UnmountRoot: %v, %v", did, err)
	}
	if points, err := MountsUnder(stacked); err != nil || len(points) != 0 {
		t.Fatalf("after UnmountRoot, mounted at %s: %v %v", stacked, points, err)
	}
	if did, err := UnmountRoot(plain); err != nil || did {
		t.Fatalf("UnmountRoot of a plain directory: %v, %v", did, err)
	}
}
