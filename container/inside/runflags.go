package inside

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/container/spec"
)

// What run's flags ask of the inside beyond the defaults: tmpfs mounts,
// a read-only root, volumes filled from the image, resource limits.

// mountTmpfs mounts a new tmpfs at m.Destination, resolved inside root
// like a volume's destination.
func mountTmpfs(root *inRoot, m spec.Mount) error {
	target, err := root.mkdirAll(m.Destination)
	if err != nil {
		return errors.Wrapf(err, "tmpfs %s: create mount point", m.Destination)
	}
	defer target.Close()
	flags := m.Flags
	if m.ReadOnly {
		flags |= unix.MS_RDONLY
	}
	start := time.Now()
	err = mountAt("tmpfs", target, "tmpfs", flags, m.Data)
	steps.done(topicVolumes, "mount -t tmpfs -o "+mountOptions(flags, m.Data)+" tmpfs "+m.Destination, start, err)
	if err != nil {
		return errors.Wrapf(err, "tmpfs %s", m.Destination)
	}
	return nil
}

// readonlyRoot makes the container's / read-only, after pivot_root. Only
// the root mount itself: /proc, /dev, volumes and tmpfs mounts keep their
// own flags, which is how --read-only with --tmpfs /tmp gives a writable
// /tmp. The mount is the container's (its own mount namespace): the
// host's view of the rootfs is untouched.
func readonlyRoot() error {
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	start := time.Now()
	err := unix.MountSetattr(unix.AT_FDCWD, "/", 0, attr)
	steps.done(topicRootfs, "mount -o remount,bind,ro /", start, err)
	if err != nil {
		return errors.Wrap(kernelTooOld(err), "make / read-only")
	}
	return nil
}

// setRlimits sets --ulimit's limits, which the host checked against its
// own hard limits. syscall's Setrlimit, not a raw call: for RLIMIT_NOFILE
// it also stops the Go runtime from restoring its own limit at exec.
func setRlimits(limits []spec.Rlimit) error {
	for _, l := range limits {
		if err := syscall.Setrlimit(l.Type, &syscall.Rlimit{Cur: l.Soft, Max: l.Hard}); err != nil {
			return errors.Wrapf(err, "setrlimit %d", l.Type)
		}
	}
	return nil
}

// copyUp fills an empty volume with what the image has at its
// destination, as Docker does for a new volume: the volume's data
// directory src (a host path mydocker made) gets a copy of the tree at
// the handle dst inside the rootfs, and its owner and mode. The tree is
// the image's: every entry is opened relative to its parent without
// following symlinks, which are copied as symlinks, never followed, and
// every entry is created the same way in the volume, never through a
// symlink another container may have put there.
func copyUp(target *os.File, src string) error {
	vol, err := os.OpenFile(src, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer vol.Close()
	names, err := vol.Readdirnames(1)
	if err != nil && err != io.EOF {
		return err
	}
	if len(names) > 0 {
		return nil // filled already: the volume's data is its own
	}
	img, err := pathrs.Reopen(target, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		return err
	}
	defer img.Close()
	links := hardlinks{}
	defer links.close()
	if err := links.copyTree(img, vol); err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(img.Fd()), &st); err != nil {
		return err
	}
	return copyOwner(int(vol.Fd()), "", &st)
}

// copyOwner gives the file at dir/name (name "": dir itself) st's owner
// and then its mode: chown clears the set-id bits, so chmod comes after.
func copyOwner(dir int, name string, st *unix.Stat_t) error {
	flags := unix.AT_SYMLINK_NOFOLLOW
	if name == "" {
		flags |= unix.AT_EMPTY_PATH
	}
	if err := unix.Fchownat(dir, name, int(st.Uid), int(st.Gid), flags); err != nil {
		return errors.Wrapf(err, "chown %s", name)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return nil // a symlink has no mode of its own
	}
	if name == "" {
		return errors.Wrap(unix.Fchmod(dir, st.Mode&0o7777), "chmod")
	}
	return errors.Wrapf(unix.Fchmodat(dir, name, st.Mode&0o7777, 0), "chmod %s", name)
}

// hardlinks keeps, for each file of the image with several links, a
// handle on its first copy, so that its other names become links to it in
// the volume too, as Docker's copy keeps them, rather than copies each.
type hardlinks map[[2]uint64]*os.File

// maxHardlinks bounds the handles kept; past it, further names are copies.
const maxHardlinks = 4096

func (h hardlinks) close() {
	for _, f := range h {
		f.Close()
	}
}

// link makes name in dst a link to the copy of st's file, if there is one.
func (h hardlinks) link(st *unix.Stat_t, dfd int, name string) (bool, error) {
	first, ok := h[[2]uint64{st.Dev, st.Ino}]
	if !ok {
		return false, nil
	}
	// AT_EMPTY_PATH on a handle would need CAP_DAC_READ_SEARCH; the
	// magic link does not, and cannot be swapped for another file.
	err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(first.Fd())), dfd, name, unix.AT_SYMLINK_FOLLOW)
	return err == nil, errors.Wrapf(err, "link %s", name)
}

// remember keeps a handle on the copy dfd/name of st's file.
func (h hardlinks) remember(st *unix.Stat_t, dfd int, name string) error {
	if st.Nlink < 2 || len(h) >= maxHardlinks {
		return nil
	}
	fd, err := unix.Openat(dfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return errors.Wrapf(err, "open %s", name)
	}
	h[[2]uint64{st.Dev, st.Ino}] = os.NewFile(uintptr(fd), name)
	return nil
}

// copyTree copies every entry of the directory src into dst.
func (h hardlinks) copyTree(src, dst *os.File) error {
	names, err := src.Readdirnames(-1)
	if err != nil {
		return err
	}
	sfd, dfd := int(src.Fd()), int(dst.Fd())
	for _, name := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(sfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return errors.Wrapf(err, "stat %s", name)
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			if err := unix.Mkdirat(dfd, name, 0o700); err != nil {
				return errors.Wrapf(err, "mkdir %s", name)
			}
			if err := h.copySubdir(sfd, dfd, name); err != nil {
				return err
			}
		case unix.S_IFREG:
			if linked, err := h.link(&st, dfd, name); err != nil || linked {
				if err != nil {
					return err
				}
				continue // owner and mode are the first name's
			}
			if err := copyFile(sfd, dfd, name); err != nil {
				return err
			}
		case unix.S_IFLNK:
			link, err := readlinkat(sfd, name)
			if err != nil {
				return err
			}
			if err := unix.Symlinkat(link, dfd, name); err != nil {
				return errors.Wrapf(err, "symlink %s", name)
			}
		case unix.S_IFCHR, unix.S_IFBLK, unix.S_IFIFO:
			if err := unix.Mknodat(dfd, name, st.Mode&unix.S_IFMT|0o600, int(st.Rdev)); err != nil {
				return errors.Wrapf(err, "mknod %s", name)
			}
		default:
			continue // a socket means nothing once copied
		}
		if err := copyOwner(dfd, name, &st); err != nil {
			return err
		}
		if st.Mode&unix.S_IFMT == unix.S_IFREG {
			if err := h.remember(&st, dfd, name); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h hardlinks) copySubdir(sfd, dfd int, name string) error {
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	s, err := unix.Openat(sfd, name, flags, 0)
	if err != nil {
		return errors.Wrapf(err, "open %s", name)
	}
	sf := os.NewFile(uintptr(s), name)
	defer sf.Close()
	d, err := unix.Openat(dfd, name, flags, 0)
	if err != nil {
		return errors.Wrapf(err, "open %s in the volume", name)
	}
	df := os.NewFile(uintptr(d), name)
	defer df.Close()
	return errors.Wrapf(h.copyTree(sf, df), "%s", name)
}

func copyFile(sfd, dfd int, name string) error {
	s, err := unix.Openat(sfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return errors.Wrapf(err, "open %s", name)
	}
	sf := os.NewFile(uintptr(s), name)
	defer sf.Close()
	d, err := unix.Openat(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return errors.Wrapf(err, "create %s in the volume", name)
	}
	df := os.NewFile(uintptr(d), name)
	_, err = io.Copy(df, sf)
	if cerr := df.Close(); err == nil {
		err = cerr
	}
	return errors.Wrapf(err, "copy %s", name)
}

func readlinkat(dir int, name string) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(dir, name, buf)
	if err != nil {
		return "", errors.Wrapf(err, "readlink %s", name)
	}
	return string(buf[:n]), nil
}

// sealedCopy copies the host file path (mydocker-init, for --init) into
// a memfd sealed against every change: the container's pid 1 then runs
// from it, and its /proc/1/exe leads to no host file anyone could write.
func sealedCopy(path string) (*os.File, error) {
	src, err := os.OpenFile(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, errors.Wrap(err, "--init")
	}
	defer src.Close()
	fd, err := unix.MemfdCreate("mydocker-init", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC)
	if err == unix.EINVAL {
		// Kernels before 6.3 know no MFD_EXEC: their memfds are executable.
		fd, err = unix.MemfdCreate("mydocker-init", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if err != nil {
		return nil, errors.Wrap(err, "--init: memfd")
	}
	dst := os.NewFile(uintptr(fd), "mydocker-init")
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return nil, errors.Wrap(err, "--init: copy mydocker-init")
	}
	const seals = unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_SEAL
	if _, err := unix.FcntlInt(dst.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		dst.Close()
		return nil, errors.Wrap(err, "--init: seal")
	}
	return dst, nil
}

// createExtraDevices makes --device's nodes in the container's /dev,
// by handle on the fresh tmpfs like the standard ones, replacing a
// standard node of the same name.
func createExtraDevices(root *inRoot, devs []spec.Device) error {
	old := unix.Umask(0)
	defer unix.Umask(old)
	for _, d := range devs {
		dir, err := root.openNoSymlinks(filepath.Dir(d.Path), true)
		if err != nil {
			return errors.Wrapf(err, "device %s", d.Path)
		}
		err = mknodIn(dir, filepath.Base(d.Path), d)
		dir.Close()
		if err != nil {
			return errors.Wrapf(err, "device %s", d.Path)
		}
		log.Debugf("init: device %s (%s %d:%d)", d.Path, d.Type, d.Major, d.Minor)
	}
	return nil
}

func mknodIn(dir *os.File, name string, d spec.Device) error {
	var fs unix.Statfs_t
	if err := unix.Fstatfs(int(dir.Fd()), &fs); err != nil {
		return err
	}
	if fs.Type != unix.TMPFS_MAGIC {
		return errors.New("not in the container's /dev")
	}
	dfd := int(dir.Fd())
	mode := uint32(unix.S_IFCHR)
	if d.Type == "b" {
		mode = unix.S_IFBLK
	}
	if err := unix.Unlinkat(dfd, name, 0); err != nil && err != unix.ENOENT {
		return err
	}
	if err := unix.Mknodat(dfd, name, mode|d.Mode&0o777, int(unix.Mkdev(uint32(d.Major), uint32(d.Minor)))); err != nil {
		return err
	}
	return unix.Fchownat(dfd, name, int(d.UID), int(d.GID), unix.AT_SYMLINK_NOFOLLOW)
}
