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

// RemoveAllUnmounted deletes dir only after confirming from mountinfo that
// nothing is mounted at or below it. os.RemoveAll walks into mount points,
// so deleting a directory with a volume still bound inside would delete the
// volume's data: this is the one check that prevents it.
func RemoveAllUnmounted(dir string) error {
	// The mount table is read once when nothing is mounted (the common
	// case); each read costs in proportion to every mount on the host,
	// which grows with the containers running.
	points, err := MountsUnder(dir)
	if err != nil {
		return err
	}
	if len(points) > 0 {
		for _, p := range points {
			if err := Unmount(p); err != nil {
				return err
			}
		}
		if points, err = MountsUnder(dir); err != nil {
			return err
		}
	}
	if len(points) > 0 {
		return errors.Errorf("refusing to remove %s: %s is still mounted", dir, points[0])
	}
	if err := os.RemoveAll(dir); err != nil {
		return errors.Wrapf(err, "remove %s", dir)
	}
	return nil
}
