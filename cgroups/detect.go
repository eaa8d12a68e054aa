package cgroups

import (
	"io"
	"strings"

	"github.com/moby/sys/mountinfo"
	"github.com/pkg/errors"
)

// Mode is the cgroup layout a host uses for resource control.
type Mode int

// The two layouts. A hybrid host (v1 controllers plus an empty cgroup2
// tree, as this project's CI) is V1: that is where the controllers are.
const (
	V1 Mode = 1
	V2 Mode = 2
)

// Detect reads a mount table in /proc/self/mountinfo format. If a cgroup2
// file system is mounted at /sys/fs/cgroup the host is V2 and mounts[""]
// is its root; otherwise it is V1 and mounts maps each subsystem to the
// mount point of its hierarchy.
func Detect(table io.Reader) (Mode, map[string]string, error) {
	infos, err := mountinfo.GetMountsFromReader(table, mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		return 0, nil, errors.Wrap(err, "read mount table")
	}
	v1 := map[string]string{}
	for _, m := range infos {
		if m.FSType == "cgroup2" {
			if m.Mountpoint == "/sys/fs/cgroup" {
				return V2, map[string]string{"": m.Mountpoint}, nil
			}
			continue
		}
		// v1: the super options name the subsystems (rw,cpu,cpuacct).
		for _, opt := range strings.Split(m.VFSOptions, ",") {
			for _, sub := range Subsystems {
				if _, seen := v1[sub]; opt == sub && !seen {
					v1[sub] = m.Mountpoint
				}
			}
		}
	}
	if len(v1) == 0 {
		return 0, nil, errors.New("no cgroup file system mounted (neither v2 at /sys/fs/cgroup nor v1 controllers)")
	}
	return V1, v1, nil
}
