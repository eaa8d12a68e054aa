package cgroups

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/moby/sys/mountinfo"
)

// cgroup2Mount finds a real cgroup2 file system: /sys/fs/cgroup on a v2
// host, /sys/fs/cgroup/unified on a hybrid one like this project's CI.
func cgroup2Mount(t *testing.T) string {
	t.Helper()
	infos, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup2"))
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) == 0 {
		t.Fatal("no cgroup2 file system mounted")
	}
	return infos[0].Mountpoint
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
	// One process created inside the cgroup (CLONE_INTO_CGROUP), one moved in.
	dir, err := m.Placement().OpenDir()
	if err != nil {
		t.Fatal(err)
	}
	born := exec.Command("sleep", "100")
	born.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(dir.Fd())}
	if err := born.Start(); err != nil {
		t.Fatal(err)
	}
	dir.Close()
	child := exec.Command("sleep", "100")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(child.Process.Pid); err != nil {
		t.Fatal(err)
	}
	procs, err := os.ReadFile(filepath.Join(root, Parent, id, "cgroup.procs"))
	want := []string{strconv.Itoa(born.Process.Pid), strconv.Itoa(child.Process.Pid)}
	if err != nil || strings.Join(strings.Fields(string(procs)), " ") != strings.Join(want, " ") {
		t.Fatalf("cgroup.procs = %q, %v; want %v", procs, err, want)
	}
	if oom, err := m.OOMKilled(); err != nil || oom {
		t.Fatalf("OOMKilled = %v, %v", oom, err)
	}
	// Destroy kills what is still inside, then removes the cgroup and the
	// parent it leaves empty.
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*exec.Cmd{born, child} {
		if err := c.Wait(); err == nil {
			t.Fatal("a process left in the cgroup was not killed")
		}
	}
	if _, err := os.Stat(filepath.Join(root, Parent, id)); !os.IsNotExist(err) {
		t.Fatalf("cgroup left: %v", err)
	}
}
