package container

import (
	"os"
	"path/filepath"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// setupRootfs builds the container's file system view inside its own
// mount namespace and pivots into it. Everything is mounted here, in the
// container's namespace, never on the host: when the container's last
// process exits the kernel drops these mounts (volumes included), so no
// host path ever has a volume bound under a directory we later delete.
func setupRootfs(cfg *InitConfig) error {
	// Stop mount events travelling between host and container in either
	// direction; the host's / is usually shared (systemd).
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return errors.Wrap(err, "make mounts private")
	}
	log.Debug("init: mounts made private")
	root := cfg.Rootfs
	for _, m := range cfg.Mounts {
		if err := mountVolume(root, m); err != nil {
			return err
		}
	}
	for _, step := range kernelMounts {
		if step.fstype == "sysfs" && cfg.Security.Privileged {
			step.flags &^= unix.MS_RDONLY
		}
		if err := step.mount(root); err != nil {
			return err
		}
	}
	if err := createDevices(root); err != nil {
		return err
	}
	if err := pivotRoot(root); err != nil {
		return err
	}
	if cfg.Security.MaskPaths {
		if err := maskPaths(); err != nil {
			return err
		}
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
// bound onto itself and made read-only. Paths the kernel lacks are skipped.
func maskPaths() error {
	for _, p := range maskedPaths {
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		if fi.IsDir() {
			err = unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY|secure, "size=0")
		} else {
			err = unix.Mount("/dev/null", p, "", unix.MS_BIND, "")
		}
		if err != nil {
			return errors.Wrapf(err, "mask %s", p)
		}
	}
	for _, p := range readonlyPaths {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return errors.Wrapf(err, "bind %s", p)
		}
		if err := makeReadOnly(p); err != nil {
			return errors.Wrapf(err, "make %s read-only", p)
		}
	}
	log.Debug("init: masked and read-only paths in place")
	return nil
}

// mountVolume binds a host path at its destination inside root. The
// destination is resolved inside root (symlinks included), so an image
// cannot redirect a volume onto a host path.
func mountVolume(root string, m Mount) error {
	target, err := securejoin.SecureJoin(root, m.Destination)
	if err != nil {
		return errors.Wrapf(err, "volume %s: resolve destination", m.Destination)
	}
	fi, err := os.Stat(m.Source)
	if err != nil {
		return errors.Wrapf(err, "volume %s", m.Source)
	}
	if fi.IsDir() {
		err = os.MkdirAll(target, 0o755)
	} else {
		err = createFile(target)
	}
	if err != nil {
		return errors.Wrapf(err, "volume %s: create mount point", m.Destination)
	}
	if err := unix.Mount(m.Source, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return errors.Wrapf(err, "volume %s: bind %s", m.Destination, m.Source)
	}
	if m.ReadOnly {
		if err := makeReadOnly(target); err != nil {
			return errors.Wrapf(err, "volume %s: make read-only", m.Destination)
		}
	}
	log.Debugf("init: volume %s -> %s (ro=%v)", m.Source, m.Destination, m.ReadOnly)
	return nil
}

func createFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// makeReadOnly makes a bind mount and everything under it read-only.
// mount_setattr covers submounts; older kernels get a plain remount.
func makeReadOnly(target string) error {
	err := unix.MountSetattr(-1, target, unix.AT_RECURSIVE, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY})
	if err == unix.ENOSYS {
		err = unix.Mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, "")
	}
	return err
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
	{"tmpfs", "/dev", "tmpfs", unix.MS_NOSUID | unix.MS_STRICTATIME, "mode=755,size=65536k"},
	// newinstance gives the container its own pty numbering: the first
	// terminal inside is /dev/pts/0 whatever the host has open.
	{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"},
	{"shm", "/dev/shm", "tmpfs", secure, "mode=1777,size=65536k"},
	{"mqueue", "/dev/mqueue", "mqueue", secure, ""},
	{"sysfs", "/sys", "sysfs", secure | unix.MS_RDONLY, ""},
}

func (k kernelMount) mount(root string) error {
	target, err := securejoin.SecureJoin(root, k.target)
	if err != nil {
		return errors.Wrapf(err, "resolve %s", k.target)
	}
	if err := os.MkdirAll(target, 0o755); err != nil {
		return errors.Wrapf(err, "create %s", k.target)
	}
	if err := unix.Mount(k.source, target, k.fstype, k.flags, k.data); err != nil {
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

func createDevices(root string) error {
	dev := filepath.Join(root, "dev") // a fresh tmpfs: nothing in it to follow
	old := unix.Umask(0)
	defer unix.Umask(old)
	for _, d := range devices {
		p := filepath.Join(dev, d.name)
		if err := unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(d.major, d.minor))); err != nil {
			return errors.Wrapf(err, "mknod /dev/%s", d.name)
		}
	}
	for _, l := range devLinks {
		if err := os.Symlink(l[0], filepath.Join(dev, l[1])); err != nil {
			return errors.Wrapf(err, "link /dev/%s", l[1])
		}
	}
	log.Debug("init: device nodes created in /dev")
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
	if err := unix.PivotRoot(".", "."); err != nil {
		return errors.Wrapf(err, "pivot_root into %s", root)
	}
	if err := unix.Fchdir(oldroot); err != nil {
		return errors.Wrap(err, "enter old root")
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return errors.Wrap(err, "detach old root")
	}
	if err := unix.Chdir("/"); err != nil {
		return errors.Wrap(err, "chdir /")
	}
	log.Debugf("init: pivot_root into %s, old root detached", root)
	return nil
}
