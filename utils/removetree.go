package utils

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// errOtherMount stops removeOnOneMount at the first directory that is on
// another mount than the tree's top: from there RemoveAllUnmounted
// unmounts with the mount table in hand.
var errOtherMount = errors.New("a mount under the tree")

// removeOnOneMount deletes the tree at dir without ever entering a
// directory on another mount than dir's own: each directory's mount ID
// (statx STATX_MNT_ID, Linux 5.8) is compared with the top's before the
// walk goes in. A volume bound inside the tree is on another mount, so
// its files are never reached: the walk stops with errOtherMount, with
// whatever it had already deleted gone. The check costs one statx per
// directory, where reading /proc/self/mountinfo costs the formatting of
// every mount on the machine: the more containers run, the more that
// costs each removal.
//
// It returns errOtherMount also when the kernel cannot tell mount IDs,
// and when dir itself is a mount point, for the caller's slower path.
// A dir that does not exist is removed already.
func removeOnOneMount(dir string) error {
	dir = filepath.Clean(dir)
	top, err := mountID(unix.AT_FDCWD, dir)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	if parent, err := mountID(unix.AT_FDCWD, filepath.Dir(dir)); err != nil {
		return err
	} else if parent != top {
		return errOtherMount
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
			return ignoreNotExist(unix.Unlink(dir))
		}
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	if err := removeChildren(fd, dir, top); err != nil {
		return err
	}
	return ignoreNotExist(unix.Rmdir(dir))
}

// removeChildren deletes everything in the directory open at fd (named
// path, for errors) and closes fd.
func removeChildren(fd int, path string, top uint64) error {
	d := os.NewFile(uintptr(fd), path)
	defer d.Close()
	for {
		names, err := d.Readdirnames(256)
		for _, name := range names {
			if err := removeChild(fd, path, name, top); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if len(names) == 0 {
			return nil
		}
		// Unlinking while reading moves the directory's entries: read
		// it again from the start until it is empty.
		if _, err := d.Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
}

func removeChild(dirfd int, dir, name string, top uint64) error {
	path := filepath.Join(dir, name)
	err := unix.Unlinkat(dirfd, name, 0)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if errors.Is(err, unix.EBUSY) {
		return errOtherMount // a file with a mount on it
	}
	if !errors.Is(err, unix.EISDIR) && !errors.Is(err, unix.EPERM) {
		return &os.PathError{Op: "unlink", Path: path, Err: err}
	}
	// A directory: never enter one on another mount.
	if id, err := mountID(dirfd, name); err != nil {
		return err
	} else if id != top {
		return errOtherMount
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	if err := removeChildren(fd, path, top); err != nil {
		return err
	}
	if err := unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR); err != nil && !errors.Is(err, unix.ENOENT) {
		return &os.PathError{Op: "rmdir", Path: path, Err: err}
	}
	return nil
}

// mountID is the ID of the mount name (relative to dirfd) is on, without
// following a final symbolic link.
func mountID(dirfd int, name string) (uint64, error) {
	var stx unix.Statx_t
	if err := unix.Statx(dirfd, name, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &stx); err != nil {
		return 0, &os.PathError{Op: "statx", Path: name, Err: err}
	}
	if stx.Mask&unix.STATX_MNT_ID == 0 {
		return 0, errOtherMount // the kernel cannot tell: take the slow path
	}
	return stx.Mnt_id, nil
}

func ignoreNotExist(err error) error {
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	return err
}
