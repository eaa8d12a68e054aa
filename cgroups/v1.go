package cgroups

import (
	"os"
	"path/filepath"
	"strconv"

	"github.com/pkg/errors"
)

// v1 is a container's cgroup on a cgroup v1 host: one directory per
// subsystem hierarchy, all named mydocker/<id>.
type v1 struct {
	mounts map[string]string // subsystem -> hierarchy mount point
	name   string
	rmdir  func(string) error
}

// NewV1 returns the manager of cgroup name in the given v1 hierarchies.
func NewV1(mounts map[string]string, name string) Manager {
	return &v1{mounts: mounts, name: name, rmdir: rmdir}
}

func (m *v1) path(sub string) string {
	mp, ok := m.mounts[sub]
	if !ok {
		return ""
	}
	return filepath.Join(mp, m.name)
}

func (m *v1) Paths() map[string]string {
	out := map[string]string{}
	for sub := range m.mounts {
		out[sub] = m.path(sub)
	}
	return out
}

func (m *v1) Create() error { return retryCreate(m.create) }

func (m *v1) create() error {
	for _, sub := range Subsystems {
		dir := m.path(sub)
		if dir == "" {
			continue
		}
		if sub == "cpuset" {
			if err := m.createCpuset(dir); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return errors.Wrapf(err, "create cgroup %s", dir)
		}
	}
	return nil
}

// createCpuset makes the cpuset cgroup and its parent. A new v1 cpuset
// starts with empty cpus and mems, and a task cannot join it until both
// are set, so each level copies them from its parent.
func (m *v1) createCpuset(dir string) error {
	root := m.mounts["cpuset"]
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return errors.Wrap(err, "cpuset path")
	}
	cur := root
	for _, part := range splitPath(rel) {
		parent := cur
		cur = filepath.Join(cur, part)
		if err := os.Mkdir(cur, 0o755); err != nil && !os.IsExist(err) {
			return errors.Wrapf(err, "create cgroup %s", cur)
		}
		for _, file := range []string{"cpuset.cpus", "cpuset.mems"} {
			v, err := readFile(cur, file)
			if err == nil && v != "" {
				continue
			}
			pv, err := readFile(parent, file)
			if err != nil {
				return err
			}
			if err := writeFile(cur, file, pv); err != nil {
				return err
			}
		}
	}
	return nil
}

func splitPath(rel string) []string {
	var parts []string
	for rel != "." && rel != "/" && rel != "" {
		parts = append([]string{filepath.Base(rel)}, parts...)
		rel = filepath.Dir(rel)
	}
	return parts
}

func (m *v1) Set(r *Resources) error {
	if r == nil {
		return nil
	}
	if dir := m.path("memory"); dir != "" && r.Memory > 0 {
		limit := strconv.FormatInt(r.Memory, 10)
		if err := writeFile(dir, "memory.limit_in_bytes", limit); err != nil {
			return err
		}
		// With swap accounting, memory+swap gets the same limit so the
		// container cannot escape its limit into swap.
		if _, err := os.Stat(filepath.Join(dir, "memory.memsw.limit_in_bytes")); err == nil {
			if err := writeFile(dir, "memory.memsw.limit_in_bytes", limit); err != nil {
				return err
			}
		}
	}
	if dir := m.path("cpu"); dir != "" && r.CPUQuota > 0 {
		period := r.CPUPeriod
		if period == 0 {
			period = DefaultCPUPeriod
		}
		if err := writeFile(dir, "cpu.cfs_period_us", strconv.FormatUint(period, 10)); err != nil {
			return err
		}
		if err := writeFile(dir, "cpu.cfs_quota_us", strconv.FormatInt(r.CPUQuota, 10)); err != nil {
			return err
		}
	}
	if dir := m.path("cpuset"); dir != "" && r.CpusetCpus != "" {
		if err := writeFile(dir, "cpuset.cpus", r.CpusetCpus); err != nil {
			return err
		}
	}
	if dir := m.path("pids"); dir != "" && r.PidsLimit > 0 {
		if err := writeFile(dir, "pids.max", strconv.FormatInt(r.PidsLimit, 10)); err != nil {
			return err
		}
	}
	return nil
}

func (m *v1) Apply(pid int) error { return m.write("cgroup.procs", pid) }

// Placement on v1: each thread joins by itself through the tasks files;
// CLONE_INTO_CGROUP takes one cgroup2 directory, which v1 has not.
func (m *v1) Placement() Placement {
	var tasks []string
	for _, sub := range Subsystems {
		if dir := m.path(sub); dir != "" {
			tasks = append(tasks, filepath.Join(dir, "tasks"))
		}
	}
	return Placement{Tasks: tasks}
}

func (m *v1) write(file string, id int) error {
	for _, sub := range Subsystems {
		dir := m.path(sub)
		if dir == "" {
			continue
		}
		if err := writeFile(dir, file, strconv.Itoa(id)); err != nil {
			return err
		}
	}
	return nil
}

func (m *v1) Stats() (*Stats, error) {
	st := &Stats{MemoryLimit: hostMemory()}
	var err error
	if dir := m.path("cpuacct"); dir != "" {
		if st.CPUUsageNs, err = readUint(dir, "cpuacct.usage"); err != nil {
			return nil, err
		}
	}
	if dir := m.path("memory"); dir != "" {
		if st.MemoryUsage, err = readUint(dir, "memory.usage_in_bytes"); err != nil {
			return nil, err
		}
		limit, err := readUint(dir, "memory.limit_in_bytes")
		if err != nil {
			return nil, err
		}
		if limit < st.MemoryLimit || st.MemoryLimit == 0 {
			st.MemoryLimit = limit // "unlimited" reads as a huge number
		}
	}
	if dir := m.path("pids"); dir != "" {
		if st.Pids, err = readUint(dir, "pids.current"); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (m *v1) OOMKilled() (bool, error) {
	dir := m.path("memory")
	if dir == "" {
		return false, nil
	}
	n, err := keyedValue(dir, "memory.oom_control", "oom_kill")
	if err != nil {
		if os.IsNotExist(errors.Cause(err)) {
			return false, nil
		}
		return false, err
	}
	return n > 0, nil
}

func (m *v1) Destroy() error {
	for _, sub := range Subsystems {
		dir := m.path(sub)
		if dir == "" {
			continue
		}
		if err := removeCgroup(dir, m.rmdir); err != nil {
			return err
		}
		removeParent(dir, m.rmdir)
	}
	return nil
}
