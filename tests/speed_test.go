package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// syncCalls runs mydocker under strace and counts the calls that wait for
// the disk: fsync, fdatasync, syncfs and sync.
func (e *env) syncCalls(args ...string) int {
	e.t.Helper()
	out := filepath.Join(e.t.TempDir(), "strace")
	c := exec.Command("strace", append([]string{"-f", "-qq", "-e", "trace=fsync,fdatasync,syncfs,sync", "-o", out, binary}, args...)...)
	c.Env = append(os.Environ(), "MYDOCKER_ROOT="+e.root)
	if b, err := c.CombinedOutput(); err != nil {
		e.t.Fatalf("strace mydocker %v: %v: %s", args, err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(regexp.MustCompile(`(?m)\b(fsync|fdatasync|syncfs|sync)\(`).FindAll(data, -1))
}

// run --rm waits for the disk nowhere: its record goes with it, so
// nothing it writes has to survive a crash of the machine. A container
// that stays (run -d) has its record made durable.
func TestRunRmWaitsForNoDisk(t *testing.T) {
	e := newEnv(t)
	// The first run stores the image, durably.
	e.run(0, "run", "--rm", "--network", "none", "busybox", "true")
	if n := e.syncCalls("run", "--rm", "--network", "none", "busybox", "true"); n != 0 {
		t.Errorf("run --rm --network none: %d fsync-like calls, want 0", n)
	}
	if n := e.syncCalls("run", "-d", "--name", "stays", "--network", "none", "busybox", "true"); n == 0 {
		t.Errorf("run -d: no fsync: the record of a container that stays must be durable")
	}
}
