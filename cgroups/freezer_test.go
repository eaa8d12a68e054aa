package cgroups

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cpuTicks is the user+system CPU time of pid, in clock ticks.
func cpuTicks(t *testing.T, pid int) uint64 {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command's closing parenthesis: state is the 1st,
	// utime the 12th and stime the 13th.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	u, _ := strconv.ParseUint(f[11], 10, 64)
	s, _ := strconv.ParseUint(f[12], 10, 64)
	return u + s
}

// The v2 freezer against the kernel's own cgroup2 (cgroup.freeze is a core
// file, so it works without controllers, on a hybrid host too): a busy
// loop stops using CPU once Freeze returns, uses it again after Thaw, and
// Destroy of a frozen cgroup still kills it and removes the cgroup.
func TestV2FreezerOnRealCgroup2(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root to create cgroups; run the tests as root (make test)")
	}
	root := cgroup2Mount(t)
	m := NewV2(root, Name("freeze-"+strconv.Itoa(os.Getpid())))
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Destroy(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	loop := exec.Command("sh", "-c", "while :; do :; done")
	if err := loop.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- loop.Wait() }()
	if err := m.Apply(loop.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if frozen, err := keyedValue(m.Paths()[""], "cgroup.events", "frozen"); err != nil || frozen != 1 {
		t.Fatalf("cgroup.events frozen = %d, %v after Freeze", frozen, err)
	}
	before := cpuTicks(t, loop.Process.Pid)
	time.Sleep(300 * time.Millisecond)
	if after := cpuTicks(t, loop.Process.Pid); after != before {
		t.Fatalf("a frozen busy loop used CPU: %d -> %d ticks", before, after)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for cpuTicks(t, loop.Process.Pid) == before {
		if time.Now().After(deadline) {
			t.Fatal("the busy loop did not run again after Thaw")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		t.Fatal("Destroy of a frozen cgroup left its process running")
	}
}
