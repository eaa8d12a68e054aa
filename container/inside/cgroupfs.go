package inside

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/moby/sys/mountinfo"
	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/cgroups"
)

// The container's own cgroups, at /sys/fs/cgroup, as Docker and Podman
// show them: programs read their limits there (the JVM and Node their
// memory, the Go runtime GOMAXPROCS from cpu.max, nginx its CPUs). Every
// file system here is mounted by init inside its new cgroup namespace, so
// the kernel roots each at the container's cgroup: nothing above it, the
// host's or another container's, can even be named. It is read-only
// unless the container is privileged, as in Docker: the limits are the
// host's to set.

// cgroupHierarchy is one cgroup file system the container gets.
type cgroupHierarchy struct {
	// dir is its directory under /sys/fs/cgroup, named as the host names
	// it (cpu,cpuacct); "" for v2's single hierarchy, which is
	// /sys/fs/cgroup itself.
	dir string
	// data is what mount(2) is given: v1's controllers (cpu,cpuacct);
	// a mount of an existing v1 hierarchy must name exactly its set.
	data string
	// links are the other names of a v1 hierarchy that mounts several
	// controllers, pointing at dir (cpu -> cpu,cpuacct), as on the host.
	links []string
}

// cgroupHierarchies picks, from a mount table in /proc/self/mountinfo
// format, the hierarchies the container has a cgroup of its own in: on v2
// the one unified hierarchy; on v1 each hierarchy holding a controller
// mydocker puts containers in (cgroups.Subsystems). Other v1 hierarchies
// (name=systemd, devices, a hybrid host's cgroup2 at unified/) are left
// out: the container's cgroup there is mydocker's own, so its namespace
// would show the host's tree from there down.
func cgroupHierarchies(table io.Reader) ([]cgroupHierarchy, error) {
	data, err := io.ReadAll(table)
	if err != nil {
		return nil, errors.Wrap(err, "read mount table")
	}
	mode, _, err := cgroups.Detect(strings.NewReader(string(data)))
	if err != nil {
		return nil, err
	}
	if mode == cgroups.V2 {
		return []cgroupHierarchy{{}}, nil
	}
	infos, err := mountinfo.GetMountsFromReader(strings.NewReader(string(data)), mountinfo.FSTypeFilter("cgroup"))
	if err != nil {
		return nil, errors.Wrap(err, "read mount table")
	}
	mounts := make([]v1Mount, len(infos))
	for i, m := range infos {
		mounts[i] = v1Mount{point: m.Mountpoint, options: m.VFSOptions}
	}
	return v1Hierarchies(mounts)
}

// v1Mount is a v1 cgroup hierarchy's mount point and super options
// (rw,cpu,cpuacct).
type v1Mount struct{ point, options string }

// v1Hierarchies picks the hierarchies of mydocker's controllers from the
// host's v1 cgroup mounts.
func v1Hierarchies(mounts []v1Mount) ([]cgroupHierarchy, error) {
	var out []cgroupHierarchy
	seen := map[string]bool{}
	for _, m := range mounts {
		var opts []string
		ours := false
		for _, o := range strings.Split(m.options, ",") {
			switch {
			case o == "" || o == "rw" || o == "ro":
				continue
			case strings.HasPrefix(o, "release_agent="):
				// The host's, not a property of the hierarchy a mount must match.
				continue
			}
			opts = append(opts, o)
			for _, sub := range cgroups.Subsystems {
				ours = ours || o == sub
			}
		}
		dir := filepath.Base(m.point)
		if !ours || seen[dir] || seen[strings.Join(opts, ",")] {
			continue // the same hierarchy mounted twice on the host
		}
		if dir == "." || dir == ".." || dir == "/" || strings.ContainsAny(dir, "/\x00") {
			return nil, errors.Errorf("cgroup hierarchy %s: cannot name it under /sys/fs/cgroup", m.point)
		}
		seen[dir], seen[strings.Join(opts, ",")] = true, true
		h := cgroupHierarchy{dir: dir, data: strings.Join(opts, ",")}
		if strings.Contains(dir, ",") {
			for _, name := range strings.Split(dir, ",") {
				if name != "" && name != dir && name != "." && name != ".." {
					h.links = append(h.links, name)
				}
			}
		}
		out = append(out, h)
	}
	// A link must not shadow a hierarchy mounted under its own name
	// (a host with both cpu,cpuacct and a separate cpu is impossible, but
	// the table is only text).
	for i := range out {
		var keep []string
		for _, l := range out[i].links {
			if !seen[l] {
				keep = append(keep, l)
			}
		}
		out[i].links = keep
	}
	return out, nil
}

// hostCgroupHierarchies finds the host's hierarchies as init sees them
// until pivot_root: where the host has them in the standard place (see
// cgroups.DetectStandard), from there; else from its mount table, a copy
// of the host's, which lists every container's overlay too.
func hostCgroupHierarchies() ([]cgroupHierarchy, error) {
	if mode, mounts, ok := cgroups.DetectStandard(); ok {
		if mode == cgroups.V2 {
			return []cgroupHierarchy{{}}, nil
		}
		var v1 []v1Mount
		for _, point := range mounts {
			// The standard place names a hierarchy by its controllers.
			v1 = append(v1, v1Mount{point: point, options: filepath.Base(point)})
		}
		slices.SortFunc(v1, func(a, b v1Mount) int { return strings.Compare(a.point, b.point) })
		return v1Hierarchies(v1)
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, errors.Wrap(err, "read mount table")
	}
	defer f.Close()
	return cgroupHierarchies(f)
}

// mountCgroupFS mounts the hierarchies at /sys/fs/cgroup in root, which
// must already have its sysfs. It runs in the container's new cgroup
// namespace: the kernel roots every cgroup mount made here at the
// container's cgroup.
func mountCgroupFS(root *inRoot, hs []cgroupHierarchy, privileged bool) error {
	flags := uintptr(secure)
	if !privileged {
		flags |= unix.MS_RDONLY
	}
	target, err := root.openNoSymlinks("/sys/fs/cgroup", false)
	if err != nil {
		return errors.Wrap(err, "mount the cgroup file system")
	}
	defer target.Close()
	if len(hs) == 1 && hs[0].dir == "" {
		if err := mountAt("cgroup2", target, "cgroup2", flags, ""); err != nil {
			return errors.Wrap(err, "mount cgroup2 on /sys/fs/cgroup")
		}
		log.Debug("init: cgroup2 mounted on /sys/fs/cgroup")
		return nil
	}
	// v1: a tmpfs holds one directory per hierarchy; it is made read-only
	// once they are mounted.
	if err := mountAt("tmpfs", target, "tmpfs", secure, "mode=755,size=64k"); err != nil {
		return errors.Wrap(err, "mount tmpfs on /sys/fs/cgroup")
	}
	dir, err := root.openNoSymlinks("/sys/fs/cgroup", false)
	if err != nil {
		return errors.Wrap(err, "open /sys/fs/cgroup")
	}
	defer dir.Close()
	var fs unix.Statfs_t
	if err := unix.Fstatfs(int(dir.Fd()), &fs); err != nil || fs.Type != unix.TMPFS_MAGIC {
		return errors.Errorf("/sys/fs/cgroup is not the container's tmpfs (%v)", err)
	}
	dfd := int(dir.Fd())
	for _, h := range hs {
		if err := mountHierarchy(dfd, h, flags); err != nil {
			return errors.Wrapf(err, "mount cgroup %s on /sys/fs/cgroup/%s", h.data, h.dir)
		}
		for _, l := range h.links {
			if err := unix.Symlinkat(h.dir, dfd, l); err != nil {
				return errors.Wrapf(err, "link /sys/fs/cgroup/%s", l)
			}
		}
	}
	if flags&unix.MS_RDONLY != 0 {
		// A bind remount changes this mount's flags only, not the tmpfs's
		// or the hierarchies' under it.
		if err := unix.Mount("", fdPath(dir), "", unix.MS_REMOUNT|unix.MS_BIND|flags, ""); err != nil {
			return errors.Wrap(err, "make /sys/fs/cgroup read-only")
		}
	}
	log.Debugf("init: %d cgroup hierarchies mounted on /sys/fs/cgroup", len(hs))
	return nil
}

func mountHierarchy(dfd int, h cgroupHierarchy, flags uintptr) error {
	if err := unix.Mkdirat(dfd, h.dir, 0o555); err != nil {
		return err
	}
	fd, err := unix.Openat(dfd, h.dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	target := os.NewFile(uintptr(fd), h.dir)
	defer target.Close()
	return mountAt("cgroup", target, "cgroup", flags, h.data)
}

// unshareCgroupNS gives init (this thread, which later execs the user's
// command) a new cgroup namespace rooted at the cgroups it is in now. It
// reports false on a kernel without cgroup namespaces.
func unshareCgroupNS() (bool, error) {
	if _, err := os.Stat("/proc/self/ns/cgroup"); err != nil {
		if os.IsNotExist(err) {
			return false, nil
		}
		return false, errors.Wrap(err, "cgroup namespace")
	}
	start := time.Now()
	err := unix.Unshare(unix.CLONE_NEWCGROUP)
	steps.done(topicNamespaces, "unshare(CLONE_NEWCGROUP): a cgroup namespace rooted at the container's cgroup", start, err)
	if err != nil {
		return false, errors.Wrap(err, "unshare cgroup namespace")
	}
	return true, nil
}
