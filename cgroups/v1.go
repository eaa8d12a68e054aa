package cgroups

import (
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
	for _, c := range controllers {
		dir := m.path(c.name)
		if dir == "" {
			continue
		}
		if c.createV1 != nil {
			if err := c.createV1(m.mounts[c.name], dir); err != nil {
				return err
			}
			continue
		}
		if err := mkdirCgroup(dir); err != nil {
			return err
		}
	}
	return nil
}

func (m *v1) Set(r *Resources) error {
	if r == nil {
		return nil
	}
	for _, c := range controllers {
		if dir := m.path(c.name); dir != "" && c.setV1 != nil {
			if err := c.setV1(dir, r); err != nil {
				return err
			}
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
	for _, c := range controllers {
		if dir := m.path(c.name); dir != "" && c.statsV1 != nil {
			if err := c.statsV1(dir, st); err != nil {
				return nil, err
			}
		}
	}
	return st, nil
}

func (m *v1) Freeze() error {
	dir := m.path("freezer")
	if dir == "" {
		return errors.New("cannot pause: the freezer cgroup hierarchy is not mounted")
	}
	return freezeV1(dir)
}

func (m *v1) Thaw() error {
	dir := m.path("freezer")
	if dir == "" {
		return errors.New("cannot unpause: the freezer cgroup hierarchy is not mounted")
	}
	return thawV1(dir)
}

func (m *v1) OOMKilled() (bool, error) {
	dir := m.path("memory")
	if dir == "" {
		return false, nil
	}
	return oomKilled(dir, "memory.oom_control")
}

func (m *v1) Destroy() error {
	// A frozen task never dies of the SIGKILL removeCgroup sends: thaw a
	// paused container first, as runc does before it kills.
	if dir := m.path("freezer"); dir != "" && frozenV1(dir) {
		if err := thawV1(dir); err != nil {
			return err
		}
	}
	for _, sub := range Subsystems {
		dir := m.path(sub)
		if dir == "" {
			continue
		}
		if err := removeCgroup(dir, m.rmdir); err != nil {
			return err
		}
	}
	return nil
}
