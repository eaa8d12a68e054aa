package utils

import (
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/moby/sys/mountinfo"
	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// IsMountRoot reports whether path is the root of a mount: one statx(2),
// where listing the mount table means the kernel formats every mount on
// the machine (each overlay with its whole lowerdir list) for us to parse.
// It answers only for path itself, not for mounts below it.
func IsMountRoot(path string) (bool, error) {
	var stx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, unix.AT_SYMLINK_NOFOLLOW, 0, &stx); err != nil {
		if err == unix.ENOENT {
			return false, nil
		}
		return false, errors.Wrapf(err, "statx %s", path)
	}
	if stx.Attributes_mask&unix.STATX_ATTR_MOUNT_ROOT == 0 {
		// Before Linux 5.8: ask the mount table.
		points, err := MountsUnder(path)
		if err != nil {
			return false, err
		}
		return len(points) > 0 && points[len(points)-1] == filepath.Clean(path), nil
	}
	return stx.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0, nil
}

// UnmountRoot unmounts every mount stacked at path (not below it), and
// says which it unmounted.
func UnmountRoot(path string) (bool, error) {
	unmounted := false
	for {
		mounted, err := IsMountRoot(path)
		if err != nil || !mounted {
			return unmounted, err
		}
		if err := Unmount(path); err != nil {
			return unmounted, err
		}
		unmounted = true
	}
}

// MountsUnder lists the mount points at or below dir, deepest first, as
// /proc/self/mountinfo reports them.
func MountsUnder(dir string) ([]string, error) {
	dir = filepath.Clean(dir)
	infos, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		return nil, errors.Wrap(err, "read /proc/self/mountinfo")
	}
	points := make([]string, 0, len(infos))
	for _, m := range infos {
		points = append(points, m.Mountpoint)
	}
	// Deepest first, so a volume bound inside a rootfs goes before the rootfs.
	sort.Slice(points, func(i, j int) bool { return len(points[i]) > len(points[j]) })
	return points, nil
}

// Unmount unmounts target, retrying briefly while the kernel still reports
// it busy (a process that was just killed may still hold it). It is not an
// error if target is not mounted.
func Unmount(target string) error {
	var err error
	for i := 0; i < 50; i++ {
		err = unix.Unmount(target, 0)
		if err == nil || err == unix.EINVAL || err == unix.ENOENT {
			return nil
		}
		if err != unix.EBUSY {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return errors.Wrapf(err, "unmount %s", target)
}

// UnmountAll unmounts everything mounted at or below dir, deepest first.
func UnmountAll(dir string) error {
	points, err := MountsUnder(dir)
	if err != nil {
		return err
	}
	for _, p := range points {
		if err := Unmount(p); err != nil {
			return err
		}
	}
	return nil
}

// RemoveAllUnmounted deletes dir without ever deleting through a mount
// point: os.RemoveAll walks into mount points, so deleting a directory
// with a volume still bound inside would delete the volume's data. The
// common case, nothing mounted, is one walk that checks each directory's
// mount (removeOnOneMount); at the first mount it meets, it unmounts all
// under dir as /proc/self/mountinfo lists them, confirms from it that
// nothing is left and only then deletes the rest.
func RemoveAllUnmounted(dir string) error {
	err := removeOnOneMount(dir)
	if !errors.Is(err, errOtherMount) {
		return errors.Wrapf(err, "remove %s", dir)
	}
	points, err := MountsUnder(dir)
	if err != nil {
		return err
	}
	if len(points) > 0 {
		// Unmount, then read the table again: a mount can hide another.
		for _, p := range points {
			if err := Unmount(p); err != nil {
				return err
			}
		}
		if points, err = MountsUnder(dir); err != nil {
			return err
		}
		if len(points) > 0 {
			return errors.Errorf("refusing to remove %s: %s is still mounted", dir, points[0])
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return errors.Wrapf(err, "remove %s", dir)
	}
	return nil
}
