package cgroups

import (
	"path/filepath"
	"strconv"
	"strings"
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
	for _, c := range controllers {
		for _, a := range strings.Fields(avail) {
			if a == c.v2Name() && c.inV2() {
				enable = append(enable, "+"+a)
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
		if err := mkdirCgroup(cur); err != nil {
			return err
		}
	}
	return nil
}

func (m *v2) Set(r *Resources) error {
	if r == nil {
		return nil
	}
	for _, c := range controllers {
		if c.setV2 != nil {
			if err := c.setV2(m.dir(), r); err != nil {
				return err
			}
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
	st := &Stats{MemoryLimit: hostMemory()}
	for _, c := range controllers {
		if c.statsV2 != nil {
			if err := c.statsV2(m.dir(), st); err != nil {
				return nil, err
			}
		}
	}
	return st, nil
}

func (m *v2) Freeze() error { return freezeV2(m.dir()) }

func (m *v2) Thaw() error { return thawV2(m.dir()) }

func (m *v2) OOMKilled() (bool, error) { return oomKilled(m.dir(), "memory.events") }

func (m *v2) Destroy() error { return m.destroyOnly() }

// destroyOnly removes the cgroup, leaving its parent (see keepParent).
func (m *v2) destroyOnly() error {
	// v2 kills frozen tasks, but thawing first lets them exit as any
	// other and keeps removal the same on both versions.
	if frozenV2(m.dir()) {
		if err := thawV2(m.dir()); err != nil {
			return err
		}
	}
	return removeCgroup(m.dir(), m.rmdir)
}
