package inside

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/container/spec"
)

// setupRootfs builds the container's file system view inside its own
// mount namespace and pivots into it. Everything is mounted here, in the
// container's namespace, never on the host: when the container's last
// process exits the kernel drops these mounts (volumes included), so no
// host path ever has a volume bound under a directory we later delete.
//
// With cgroupNS (init is in its own cgroup namespace) the container gets
// its cgroups at /sys/fs/cgroup; without one it gets none, rather than
// the host's whole tree.
func setupRootfs(cfg *spec.InitConfig, rootfs *os.File, cgroupNS bool) error {
	// Stop mount events travelling between host and container in either
	// direction; the host's / is usually shared (systemd).
	start := time.Now()
	err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, "")
	steps.done(topicRootfs, "mount --make-rprivate /", start, err)
	if err != nil {
		return errors.Wrap(err, "make mounts private")
	}
	if rootfs != nil {
		// Started before the host mounted the overlay, init has an empty
		// directory at cfg.Rootfs: the host's mount goes there.
		start := time.Now()
		err := unix.MoveMount(int(rootfs.Fd()), "", unix.AT_FDCWD, cfg.Rootfs, unix.MOVE_MOUNT_F_EMPTY_PATH)
		steps.done(topicRootfs, "move_mount: the host's overlay onto "+cfg.Rootfs, start, err)
		if err != nil {
			return errors.Wrapf(err, "attach the rootfs at %s", cfg.Rootfs)
		}
	}
	root, err := openRoot(cfg.Rootfs)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, m := range cfg.Mounts {
		mount := mountVolume
		if m.Type == spec.MountTmpfs {
			mount = mountTmpfs
		}
		if err := mount(root, m); err != nil {
			return err
		}
	}
	for _, step := range kernelMounts {
		if step.fstype == "sysfs" && cfg.Security.Privileged {
			step.flags &^= unix.MS_RDONLY
		}
		if step.target == "/dev/shm" && cfg.ShmSource != "" {
			// The shared ipc namespace's /dev/shm, mounted on the host.
			if err := mountVolume(root, spec.Mount{Source: cfg.ShmSource, Destination: "/dev/shm"}); err != nil {
				return err
			}
			continue
		}
		if step.target == "/dev/shm" && cfg.ShmSize > 0 {
			step.data = fmt.Sprintf("mode=1777,size=%d", cfg.ShmSize)
		}
		if err := step.mount(root); err != nil {
			return err
		}
	}
	if cgroupNS {
		hs, err := hostCgroupHierarchies()
		if err != nil {
			return err
		}
		start := time.Now()
		err = mountCgroupFS(root, hs, cfg.Security.Privileged)
		steps.report(topicCgroups, fmt.Sprintf("mount -t cgroup: %d hierarchies on /sys/fs/cgroup, rooted at the container's cgroup", len(hs)), start, err)
		if err != nil {
			return err
		}
	}
	start = time.Now()
	err = createDevices(root)
	steps.done(topicRootfs, "mknod /dev/{null,zero,full,random,urandom,tty}; ln -s /proc/self/fd /dev/fd ...", start, err)
	if err != nil {
		return err
	}
	if err := createExtraDevices(root, cfg.Devices); err != nil {
		return err
	}
	if err := pivotRoot(cfg.Rootfs); err != nil {
		return err
	}
	if cfg.Security.MaskPaths {
		start := time.Now()
		err := maskPaths()
		steps.done(topicRootfs, "mask "+strings.Join(maskedPaths[:3], ",")+",... (mount -t tmpfs -o ro over a directory, mount --bind /dev/null over a file); mount -o remount,bind,ro "+strings.Join(readonlyPaths, ","), start, err)
		if err != nil {
			return err
		}
	}
	if cfg.ReadonlyRootfs {
		return readonlyRoot()
	}
	return nil
}

// Docker's masked paths hide kernel state a container has no business
// reading; its read-only paths keep /proc's knobs out of reach.
var (
	maskedPaths = []string{
		"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
		"/sys/firmware", "/sys/devices/virtual/powercap",
	}
	readonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

// maskPaths runs after pivot_root: a masked directory gets an empty
// read-only tmpfs over it, a masked file /dev/null; a read-only path is
// bound onto itself read-only. Paths the kernel lacks are skipped.
func maskPaths() error {
	root, err := openRoot("/")
	if err != nil {
		return err
	}
	defer root.Close()
	for _, p := range maskedPaths {
		if err := maskPath(root, p); err != nil {
			return errors.Wrapf(err, "mask %s", p)
		}
	}
	for _, p := range readonlyPaths {
		f, err := root.openNoSymlinks(p, false)
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return errors.Wrapf(err, "make %s read-only", p)
		}
		err = bindAt(int(f.Fd()), "", f, true)
		f.Close()
		if err != nil {
			return errors.Wrapf(err, "make %s read-only", p)
		}
	}
	return nil
}

func maskPath(root *inRoot, p string) error {
	f, err := root.openNoSymlinks(p, false)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return mountAt("tmpfs", f, "tmpfs", unix.MS_RDONLY|secure, "size=0")
	}
	return bindAt(unix.AT_FDCWD, "/dev/null", f, false)
}

// mountVolume binds a host path at its destination inside root. The
// destination is resolved inside root (symlinks included), so an image
// cannot redirect a volume onto a host path.
func mountVolume(root *inRoot, m spec.Mount) error {
	fi, err := os.Stat(m.Source)
	if err != nil {
		return errors.Wrapf(err, "volume %s", m.Source)
	}
	var target *os.File
	if fi.IsDir() {
		target, err = root.mkdirAll(m.Destination)
	} else {
		target, err = root.mkfile(m.Destination)
	}
	if err != nil {
		return errors.Wrapf(err, "volume %s: create mount point", m.Destination)
	}
	defer target.Close()
	if m.CopyUp && fi.IsDir() {
		if err := copyUp(target, m.Source); err != nil {
			return errors.Wrapf(err, "volume %s: copy the image's %s into it", m.Name, m.Destination)
		}
	}
	start := time.Now()
	err = bindAt(unix.AT_FDCWD, m.Source, target, m.ReadOnly)
	cmd := "mount --bind " + m.Source + " " + m.Destination
	if m.ReadOnly {
		cmd = "mount --bind -o ro " + m.Source + " " + m.Destination
	}
	topic := topicVolumes
	if m.Name == "" && m.Type == "" && isEtcFile(m.Destination) {
		topic = topicRootfs // the /etc files every container gets
	}
	steps.done(topic, cmd, start, err)
	if err != nil {
		return errors.Wrapf(err, "volume %s: bind %s", m.Destination, m.Source)
	}
	return nil
}

// kernelMount is one of the file systems every container gets.
type kernelMount struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
}

const (
	nosuidNodev = unix.MS_NOSUID | unix.MS_NODEV
	secure      = nosuidNodev | unix.MS_NOEXEC
)

// kernelMounts are mounted in order; /dev must come before what lives in it.
var kernelMounts = []kernelMount{
	{"proc", "/proc", "proc", secure, ""},
	// noexec: /dev is writable by root in the container, and nothing there
	// is a program; a binary dropped in /dev must not run.
	{"tmpfs", "/dev", "tmpfs", unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_STRICTATIME, "mode=755,size=65536k"},
	// newinstance gives the container its own pty numbering: the first
	// terminal inside is /dev/pts/0 whatever the host has open.
	{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"},
	{"shm", "/dev/shm", "tmpfs", secure, "mode=1777,size=65536k"},
	{"mqueue", "/dev/mqueue", "mqueue", secure, ""},
	{"sysfs", "/sys", "sysfs", secure | unix.MS_RDONLY, ""},
}

func (k kernelMount) mount(root *inRoot) error {
	target, err := root.openNoSymlinks(k.target, true)
	if err != nil {
		return errors.Wrapf(err, "mount %s on %s", k.fstype, k.target)
	}
	defer target.Close()
	start := time.Now()
	err = mountAt(k.source, target, k.fstype, k.flags, k.data)
	topic := topicRootfs
	if k.fstype == "proc" {
		topic = topicNamespaces // the pid namespace's own /proc: chapter 1
	}
	cmd := "mount -t " + k.fstype + " " + k.source + " " + k.target
	if opts := mountOptions(k.flags, k.data); opts != "" {
		cmd = "mount -t " + k.fstype + " -o " + opts + " " + k.source + " " + k.target
	}
	steps.report(topic, cmd, start, err)
	if err != nil {
		return errors.Wrapf(err, "mount %s on %s", k.fstype, k.target)
	}
	log.Debugf("init: mounted %s on %s", k.fstype, k.target)
	return nil
}

// device is a character device node every container gets in /dev.
type device struct {
	name         string
	major, minor uint32
}

var devices = []device{
	{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7},
	{"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
}

var devLinks = [][2]string{
	{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
	{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
	{"pts/ptmx", "ptmx"},
}

// createDevices makes the nodes and links in the container's /dev, by
// handle on the fresh tmpfs: never through whatever /dev was in the image.
func createDevices(root *inRoot) error {
	dev, err := root.openNoSymlinks("/dev", false)
	if err != nil {
		return errors.Wrap(err, "open /dev")
	}
	defer dev.Close()
	var fs unix.Statfs_t
	if err := unix.Fstatfs(int(dev.Fd()), &fs); err != nil {
		return errors.Wrap(err, "statfs /dev")
	}
	if fs.Type != unix.TMPFS_MAGIC {
		return errors.New("/dev is not the container's tmpfs")
	}
	dfd := int(dev.Fd())
	old := unix.Umask(0)
	defer unix.Umask(old)
	for _, d := range devices {
		if err := unix.Mknodat(dfd, d.name, unix.S_IFCHR|0o666, int(unix.Mkdev(d.major, d.minor))); err != nil {
			return errors.Wrapf(err, "mknod /dev/%s", d.name)
		}
	}
	for _, l := range devLinks {
		if err := unix.Symlinkat(l[0], dfd, l[1]); err != nil {
			return errors.Wrapf(err, "link /dev/%s", l[1])
		}
	}
	return nil
}

// pivotRoot makes root the container's / and detaches the host's tree.
// pivot_root(".", ".") stacks the old root on top of the new one, so it
// needs no directory inside the image; unmounting "." afterwards removes
// the old root (runc does the same).
func pivotRoot(root string) error {
	oldroot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return errors.Wrap(err, "open old root")
	}
	defer unix.Close(oldroot)
	if err := unix.Chdir(root); err != nil {
		return errors.Wrapf(err, "chdir %s", root)
	}
	start := time.Now()
	err = unix.PivotRoot(".", ".")
	steps.done(topicRootfs, "cd "+root+" && pivot_root . .", start, err)
	if err != nil {
		return errors.Wrapf(err, "pivot_root into %s", root)
	}
	if err := unix.Fchdir(oldroot); err != nil {
		return errors.Wrap(err, "enter old root")
	}
	start = time.Now()
	err = unix.Unmount(".", unix.MNT_DETACH)
	steps.done(topicRootfs, "umount -l . (the old root, stacked under the new one)", start, err)
	if err != nil {
		return errors.Wrap(err, "detach old root")
	}
	if err := unix.Chdir("/"); err != nil {
		return errors.Wrap(err, "chdir /")
	}
	return nil
}

// isEtcFile says whether dst is one of the /etc files the host writes for
// every container (hosts, hostname, resolv.conf).
func isEtcFile(dst string) bool {
	return dst == "/etc/hosts" || dst == "/etc/hostname" || dst == "/etc/resolv.conf"
}

// mountOptions spells mount flags and data as mount(8)'s -o does.
func mountOptions(flags uintptr, data string) string {
	var opts []string
	for _, f := range []struct {
		bit  uintptr
		name string
	}{{unix.MS_RDONLY, "ro"}, {unix.MS_NOSUID, "nosuid"}, {unix.MS_NODEV, "nodev"}, {unix.MS_NOEXEC, "noexec"}, {unix.MS_STRICTATIME, "strictatime"}} {
		if flags&f.bit != 0 {
			opts = append(opts, f.name)
		}
	}
	if data != "" {
		opts = append(opts, data)
	}
	return strings.Join(opts, ",")
}
