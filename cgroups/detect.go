package cgroups

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/sys/mountinfo"
	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
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

// DetectStandard is detectStandard at /sys/fs/cgroup.
func DetectStandard() (Mode, map[string]string, bool) { return detectStandard("/sys/fs/cgroup") }

// detectStandard finds the layout where systemd, Docker's hosts and
// Debian put it, from /sys/fs/cgroup alone: a statfs says whether it is
// the v2 hierarchy; on v1, each controller mydocker uses is a cgroup
// mount at /sys/fs/cgroup/<name>, or a link there to the hierarchy that
// holds it with others (cpu -> cpu,cpuacct). It costs a few statfs
// calls, where the mount table grows with every container's overlay
// (Detect). ok is false for any other layout: then the mount table
// decides.
func detectStandard(root string) (mode Mode, mounts map[string]string, ok bool) {
	var st unix.Statfs_t
	if unix.Statfs(root, &st) != nil {
		return 0, nil, false
	}
	switch st.Type {
	case unix.CGROUP2_SUPER_MAGIC:
		return V2, map[string]string{"": root}, true
	case unix.TMPFS_MAGIC:
	default:
		return 0, nil, false
	}
	mounts = map[string]string{}
	for _, sub := range Subsystems {
		p := filepath.Join(root, sub)
		if target, err := os.Readlink(p); err == nil {
			if strings.Contains(target, "/") {
				return 0, nil, false
			}
			p = filepath.Join(root, target)
		}
		if unix.Statfs(p, &st) != nil || st.Type != unix.CGROUP_SUPER_MAGIC {
			return 0, nil, false
		}
		// The hierarchy's name lists its controllers (cpu,cpuacct).
		if !slices.Contains(strings.Split(filepath.Base(p), ","), sub) {
			return 0, nil, false
		}
		mounts[sub] = p
	}
	return V1, mounts, true
}
