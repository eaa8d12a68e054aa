package cgroups

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// v2 is a container's cgroup on a unified (cgroup v2) host.
type v2 struct {
	root  string // where cgroup2 is mounted
	name  string
	rmdir func(string) error
}

// NewV2 returns the manager of cgroup name under the cgroup2 mount root.
func NewV2(root, name string) Manager {
	return &v2{root: root, name: name, rmdir: rmdir}
}

// v2Controllers are the controllers a container's cgroup needs.
var v2Controllers = []string{"cpu", "cpuset", "memory", "pids"}

func (m *v2) dir() string { return filepath.Join(m.root, m.name) }

func (m *v2) Paths() map[string]string { return map[string]string{"": m.dir()} }

// Create makes the cgroup. In v2 a controller works in a cgroup only if
// every ancestor enables it in cgroup.subtree_control, so each level from
// the root down enables the controllers the root offers.
func (m *v2) Create() error { return retryCreate(m.create) }

func (m *v2) create() error {
	avail, err := readFile(m.root, "cgroup.controllers")
	if err != nil {
		return err
	}
	var enable []string
	for _, c := range v2Controllers {
		for _, a := range strings.Fields(avail) {
			if a == c {
				enable = append(enable, "+"+c)
			}
		}
	}
	cur := m.root
	for _, part := range splitPath(m.name) {
		if len(enable) > 0 {
			if err := writeFile(cur, "cgroup.subtree_control", strings.Join(enable, " ")); err != nil {
				return err
			}
		}
		cur = filepath.Join(cur, part)
		if err := os.Mkdir(cur, 0o755); err != nil && !os.IsExist(err) {
			return errors.Wrapf(err, "create cgroup %s", cur)
		}
	}
	return nil
}

func (m *v2) Set(r *Resources) error {
	if r == nil {
		return nil
	}
	dir := m.dir()
	if r.Memory > 0 {
		if err := writeFile(dir, "memory.max", strconv.FormatInt(r.Memory, 10)); err != nil {
			return err
		}
		// No escaping the limit into swap, where the kernel offers it.
		if _, err := os.Stat(filepath.Join(dir, "memory.swap.max")); err == nil {
			if err := writeFile(dir, "memory.swap.max", "0"); err != nil {
				return err
			}
		}
	}
	if r.CPUQuota > 0 {
		period := r.CPUPeriod
		if period == 0 {
			period = DefaultCPUPeriod
		}
		if err := writeFile(dir, "cpu.max", strconv.FormatInt(r.CPUQuota, 10)+" "+strconv.FormatUint(period, 10)); err != nil {
			return err
		}
	}
	if r.CpusetCpus != "" {
		if err := writeFile(dir, "cpuset.cpus", r.CpusetCpus); err != nil {
			return err
		}
	}
	if r.PidsLimit > 0 {
		if err := writeFile(dir, "pids.max", strconv.FormatInt(r.PidsLimit, 10)); err != nil {
			return err
		}
	}
	return nil
}

func (m *v2) Apply(pid int) error {
	return writeFile(m.dir(), "cgroup.procs", strconv.Itoa(pid))
}

// Placement on v2: a process is created in the cgroup's directory.
func (m *v2) Placement() Placement { return Placement{Dir: m.dir()} }

func (m *v2) Stats() (*Stats, error) {
	dir := m.dir()
	st := &Stats{MemoryLimit: hostMemory()}
	usec, err := keyedValue(dir, "cpu.stat", "usage_usec")
	if err != nil {
		return nil, err
	}
	st.CPUUsageNs = usec * 1000
	if st.MemoryUsage, err = readUint(dir, "memory.current"); err != nil {
		return nil, err
	}
	if limit, err := readUint(dir, "memory.max"); err != nil {
		return nil, err
	} else if limit > 0 {
		st.MemoryLimit = limit
	}
	if st.Pids, err = readUint(dir, "pids.current"); err != nil {
		return nil, err
	}
	return st, nil
}

func (m *v2) OOMKilled() (bool, error) {
	n, err := keyedValue(m.dir(), "memory.events", "oom_kill")
	if err != nil {
		if os.IsNotExist(errors.Cause(err)) {
			return false, nil
		}
		return false, err
	}
	return n > 0, nil
}

func (m *v2) Destroy() error {
	if err := removeCgroup(m.dir(), m.rmdir); err != nil {
		return err
	}
	removeParent(m.dir(), m.rmdir)
	return nil
}
