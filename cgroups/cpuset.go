package cgroups

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// The cpuset controller: --cpuset-cpus, the CPUs a container may run on.
// Its file has the same name in v1 and v2; v1 also needs it (and the
// memory nodes) filled in before a task can join.
var cpusetController = controller{
	name:     "cpuset",
	createV1: createCpusetV1,
	setV1:    setCpuset,
	setV2:    setCpuset,
}

// createCpusetV1 makes the cpuset cgroup dir and its parent below the
// hierarchy's root. A new v1 cpuset starts with empty cpus and mems, and
// a task cannot join it until both are set, so each level copies them
// from its parent.
func createCpusetV1(root, dir string) error {
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return errors.Wrap(err, "cpuset path")
	}
	cur := root
	for _, part := range splitPath(rel) {
		parent := cur
		cur = filepath.Join(cur, part)
		if err := mkdirCgroup(cur); err != nil {
			return err
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

func setCpuset(dir string, r *Resources) error {
	if r.CpusetCpus == "" {
		return nil
	}
	return writeFile(dir, "cpuset.cpus", r.CpusetCpus)
}

// ParseCpuset validates a CPU list such as "0-1,3" against the CPUs that
// are online and returns it in canonical form.
func ParseCpuset(s string, online []int) (string, error) {
	cpus, err := parseList(s)
	if err != nil {
		return "", errors.New("want a CPU list such as 0-1,3")
	}
	ok := map[int]bool{}
	for _, c := range online {
		ok[c] = true
	}
	for _, c := range cpus {
		if !ok[c] {
			return "", errors.Errorf("CPU %d does not exist (online: %s)", c, formatList(online))
		}
	}
	return formatList(cpus), nil
}

// parseList parses the kernel's CPU list format.
func parseList(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty list")
	}
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, errors.Errorf("bad CPU %q", part)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, errors.Errorf("bad range %q", part)
			}
		}
		if b-a > 4096 || b > 1<<16 {
			return nil, errors.Errorf("range %q too large", part)
		}
		for c := a; c <= b; c++ {
			seen[c] = true
		}
	}
	out := make([]int, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Ints(out)
	return out, nil
}

// formatList writes CPUs in the kernel's list format, ranges merged.
func formatList(cpus []int) string {
	var parts []string
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, strconv.Itoa(cpus[i]))
		} else {
			parts = append(parts, strconv.Itoa(cpus[i])+"-"+strconv.Itoa(cpus[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// OnlineCPUs lists the CPUs the kernel has online.
func OnlineCPUs() []int {
	data, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err == nil {
		if cpus, err := parseList(string(data)); err == nil {
			return cpus
		}
	}
	out := make([]int, runtime.NumCPU())
	for i := range out {
		out[i] = i
	}
	return out
}
