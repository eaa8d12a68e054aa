package cgroups

import (
	"path/filepath"
	"testing"
)

func TestV1SetWritesSubsystemFiles(t *testing.T) {
	base := t.TempDir()
	mounts := map[string]string{}
	for _, sub := range Subsystems {
		mounts[sub] = filepath.Join(base, sub)
	}
	write(t, mounts["cpuset"], "cpuset.cpus", "0-3")
	write(t, mounts["cpuset"], "cpuset.mems", "0")
	m := NewV1(mounts, Name("abc"))
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	// A v1 cpuset cgroup inherits cpus and mems at every level.
	for _, dir := range []string{filepath.Join(mounts["cpuset"], "mydocker"), filepath.Join(mounts["cpuset"], "mydocker", "abc")} {
		if read(t, dir, "cpuset.cpus") != "0-3" || read(t, dir, "cpuset.mems") != "0" {
			t.Fatalf("cpuset not initialised in %s", dir)
		}
	}
	memDir := filepath.Join(mounts["memory"], "mydocker", "abc")
	write(t, memDir, "memory.memsw.limit_in_bytes", "9223372036854771712")
	if err := m.Set(&Resources{Memory: 64 << 20, CPUQuota: 20000, CpusetCpus: "1", PidsLimit: 7}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ sub, file, want string }{
		{"memory", "memory.limit_in_bytes", "67108864"},
		// Docker's default: as much swap again as memory.
		{"memory", "memory.memsw.limit_in_bytes", "134217728"},
		{"cpu", "cpu.cfs_quota_us", "20000"},
		{"cpu", "cpu.cfs_period_us", "100000"},
		{"cpuset", "cpuset.cpus", "1"},
		{"pids", "pids.max", "7"},
	} {
		if got := read(t, filepath.Join(mounts[c.sub], "mydocker", "abc"), c.file); got != c.want {
			t.Errorf("%s/%s = %q, want %q", c.sub, c.file, got, c.want)
		}
	}
	if err := m.Apply(99); err != nil {
		t.Fatal(err)
	}
	for _, sub := range Subsystems {
		if got := read(t, filepath.Join(mounts[sub], "mydocker", "abc"), "cgroup.procs"); got != "99" {
			t.Errorf("%s cgroup.procs %q", sub, got)
		}
	}
	write(t, memDir, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
	if oom, err := m.OOMKilled(); err != nil || !oom {
		t.Errorf("OOMKilled %v %v", oom, err)
	}
}
