package cgroups

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// cgroup2Mount finds a real cgroup2 file system: /sys/fs/cgroup on a v2
// host, /sys/fs/cgroup/unified on a hybrid one like this project's CI.
func cgroup2Mount(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		if ok && strings.HasPrefix(post, "cgroup2 ") {
			return unescape(strings.Fields(pre)[4])
		}
	}
	t.Fatal("no cgroup2 file system mounted")
	return ""
}

// The v2 manager against the kernel's own cgroup2 (on a hybrid host it
// has no resource controllers, so this covers the tree, not the limits:
// those are covered on fake trees).
func TestV2OnRealCgroup2(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root to create cgroups; run the tests as root (make test)")
	}
	root := cgroup2Mount(t)
	id := "test-" + strconv.Itoa(os.Getpid())
	m := NewV2(root, Name(id))
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Destroy(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	if err := m.Set(&Resources{}); err != nil {
		t.Fatal(err)
	}
	child := exec.Command("sleep", "100")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(child.Process.Pid); err != nil {
		t.Fatal(err)
	}
	procs, err := os.ReadFile(filepath.Join(root, Parent, id, "cgroup.procs"))
	if err != nil || strings.TrimSpace(string(procs)) != strconv.Itoa(child.Process.Pid) {
		t.Fatalf("cgroup.procs = %q, %v", procs, err)
	}
	if oom, err := m.OOMKilled(); err != nil || oom {
		t.Fatalf("OOMKilled = %v, %v", oom, err)
	}
	// Destroy kills what is still inside, then removes the cgroup and the
	// parent it leaves empty.
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if err := child.Wait(); err == nil {
		t.Fatal("the process left in the cgroup was not killed")
	}
	if _, err := os.Stat(filepath.Join(root, Parent, id)); !os.IsNotExist(err) {
		t.Fatalf("cgroup left: %v", err)
	}
}
