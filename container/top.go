package container

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"mydocker/cgroups"
)

// Pids lists the host pids of every process of running container id:
// the members of its cgroup, which every process it starts (exec's too)
// belongs to, and which a process cannot leave without privileges the
// container does not have.
func (s *Store) Pids(id string) ([]int, error) {
	rec, err := s.Get(id)
	if err != nil {
		return nil, err
	}
	if rec.State.Status != StatusRunning {
		return nil, errors.Errorf("container %s is not running", rec.Name)
	}
	cg, err := cgroups.New(id, rec.CgroupManager)
	if err != nil {
		return nil, err
	}
	paths := cg.Paths()
	// v2 has one hierarchy (""); on v1 any hierarchy has every process,
	// pids and memory are the ones every setup here mounts.
	for _, sub := range []string{"", "pids", "memory", "cpu", "cpu,cpuacct"} {
		dir, ok := paths[sub]
		if !ok {
			continue
		}
		return readProcs(filepath.Join(dir, "cgroup.procs"))
	}
	return nil, errors.New("no cgroup hierarchy lists the container's processes")
}

func readProcs(path string) ([]int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Wrap(err, "read the container's processes")
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			return nil, errors.Errorf("read the container's processes: bad pid %q in %s", f, path)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}
