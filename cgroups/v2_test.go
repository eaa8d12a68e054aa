package cgroups

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fakeV2 makes a temp dir that looks like a cgroup2 root: the kernel's
// interface files are plain files, pre-created where the code reads them.
func fakeV2(t *testing.T, controllers string) string {
	t.Helper()
	root := t.TempDir()
	write(t, root, "cgroup.controllers", controllers)
	write(t, root, "cgroup.subtree_control", "")
	return root
}

func write(t *testing.T, dir, name, value string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(value), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestV2CreateEnablesControllers(t *testing.T) {
	root := fakeV2(t, "cpuset cpu io memory hugetlb pids rdma")
	m := NewV2(root, Name("abc"))
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	want := "+cpu +cpuset +memory +pids +io"
	if got := read(t, root, "cgroup.subtree_control"); got != want {
		t.Errorf("root subtree_control %q, want %q", got, want)
	}
	if got := read(t, filepath.Join(root, "mydocker"), "cgroup.subtree_control"); got != want {
		t.Errorf("mydocker subtree_control %q, want %q", got, want)
	}
	if fi, err := os.Stat(filepath.Join(root, "mydocker", "abc")); err != nil || !fi.IsDir() {
		t.Fatalf("cgroup dir: %v", err)
	}
	if got := m.Paths()[""]; got != filepath.Join(root, "mydocker", "abc") {
		t.Errorf("path %s", got)
	}
}

func TestV2CreateOnlyOffersAvailable(t *testing.T) {
	root := fakeV2(t, "memory pids")
	if err := NewV2(root, Name("abc")).Create(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, root, "cgroup.subtree_control"); got != "+memory +pids" {
		t.Errorf("subtree_control %q", got)
	}
}

func TestV2SetApplyStatsOOM(t *testing.T) {
	root := fakeV2(t, "cpuset cpu memory pids")
	m := NewV2(root, Name("abc"))
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "mydocker", "abc")
	write(t, dir, "memory.swap.max", "max")
	err := m.Set(&Resources{Memory: 32 << 20, CPUQuota: 50000, CPUPeriod: 100000, CpusetCpus: "0-1", PidsLimit: 20})
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"memory.max":      "33554432",
		"memory.swap.max": "33554432", // Docker's default: swap equal to memory
		"cpu.max":         "50000 100000",
		"cpuset.cpus":     "0-1",
		"pids.max":        "20",
	} {
		if got := read(t, dir, file); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	if err := m.Apply(4242); err != nil {
		t.Fatal(err)
	}
	if got := read(t, dir, "cgroup.procs"); got != "4242" {
		t.Errorf("cgroup.procs %q", got)
	}
	write(t, dir, "cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n")
	write(t, dir, "memory.current", "1310720\n")
	// Inactive page cache is not usage, as docker stats counts it.
	write(t, dir, "memory.stat", "anon 1048576\nfile 262144\nactive_file 0\ninactive_file 262144\n")
	write(t, dir, "memory.max", "33554432\n")
	write(t, dir, "pids.current", "3\n")
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.CPUUsageNs != 1500000 || st.MemoryUsage != 1<<20 || st.MemoryLimit != 32<<20 || st.Pids != 3 {
		t.Errorf("stats %+v", st)
	}
	write(t, dir, "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n")
	if oom, err := m.OOMKilled(); err != nil || oom {
		t.Errorf("OOMKilled %v %v, want false", oom, err)
	}
	write(t, dir, "memory.events", "low 0\nhigh 0\nmax 9\noom 2\noom_kill 1\n")
	if oom, err := m.OOMKilled(); err != nil || !oom {
		t.Errorf("OOMKilled %v %v, want true", oom, err)
	}
}

func TestV2SetUnlimitedWritesNothing(t *testing.T) {
	root := fakeV2(t, "cpu memory pids")
	m := NewV2(root, Name("abc"))
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(&Resources{}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(root, "mydocker", "abc"))
	if err != nil || len(entries) != 0 {
		t.Fatalf("files written without limits: %v %v", entries, err)
	}
}

func TestV2DestroyIsIdempotent(t *testing.T) {
	root := fakeV2(t, "memory")
	m := NewV2(root, Name("abc")).(*v2)
	var removed []string
	// Like cgroupfs: a cgroup's interface files vanish with it, but a
	// cgroup with child cgroups cannot be removed.
	fakeRmdir := func(dir string) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.IsDir() {
				return syscall.EBUSY
			}
		}
		removed = append(removed, dir)
		return os.RemoveAll(dir)
	}
	m.rmdir = fakeRmdir
	// Another container's cgroup keeps the shared parent alive.
	if err := os.MkdirAll(filepath.Join(root, "mydocker", "other"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "mydocker", "abc")); !os.IsNotExist(err) {
		t.Fatalf("cgroup left: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "mydocker")); err != nil {
		t.Fatalf("the shared parent must stay while another cgroup is in it: %v", err)
	}
	m.rmdir = rmdir // the real one: a missing cgroup is not an error
	if err := m.Destroy(); err != nil {
		t.Fatalf("second Destroy: %v", err)
	}
	if len(removed) != 1 || !strings.HasSuffix(removed[0], filepath.Join("mydocker", "abc")) {
		t.Fatalf("removed %v", removed)
	}
	// The last container's Destroy leaves the parent, as Docker leaves
	// docker/: the next container finds it made, its controllers on.
	other := NewV2(root, Name("other")).(*v2)
	other.rmdir = fakeRmdir
	if err := other.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "mydocker")); err != nil {
		t.Fatalf("the shared parent went with the last container: %v", err)
	}
	if len(removed) != 2 || !strings.HasSuffix(removed[1], filepath.Join("mydocker", "other")) {
		t.Fatalf("removed %v", removed)
	}
}
