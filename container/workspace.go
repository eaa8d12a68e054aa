package container

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/sys/mountinfo"
	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/trace"
	"mydocker/utils"
)

// Workspace is a container's overlay directory <root>/overlay2/<id>:
// upper holds its writes, work is overlayfs's scratch space and merged is
// its root file system while it runs.
type Workspace struct {
	Dir string
	// Volatile mounts the overlay with overlayfs's volatile option, for
	// a container removed when it exits (--rm): nothing it writes is kept,
	// so its upper dir is never synced to disk. Without it, unmounting an
	// overlay syncs the whole file system under its upper dir (all of
	// the state root's disk, everyone's dirty data), which was the
	// slowest step of a run --rm teardown.
	Volatile bool
	// InitLayers is where the image's init layer is found or made
	// (initlayer.go); empty: none, init makes its mount points itself.
	InitLayers string
	// Spares is where empty workspaces are kept for the next container
	// (spare.go); empty: none are taken or kept.
	Spares string
}

// Upper is where the container's own changes live.
func (w Workspace) Upper() string { return filepath.Join(w.Dir, "upper") }

// Merged is the container's root file system while it is mounted.
func (w Workspace) Merged() string { return filepath.Join(w.Dir, "merged") }

func (w Workspace) work() string { return filepath.Join(w.Dir, "work") }

// Lower shows the image's files while the container runs, as the
// series' overlay2/<id>/lower does (its lower was the image tar unpacked
// per container; ours are the shared layers).
func (w Workspace) Lower() string { return filepath.Join(w.Dir, "lower") }

// Mount creates the directories if needed and mounts the overlay of the
// image layers (lowest first) under upper at merged. Mounting an already
// mounted workspace is a no-op, so a restart after a crash just works.
func (w Workspace) Mount(layers []string) error {
	if len(layers) == 0 {
		return errors.New("workspace: image has no layers")
	}
	if err := os.MkdirAll(filepath.Dir(w.Dir), 0o700); err != nil {
		return errors.Wrap(err, "create overlay dir")
	}
	spare := false
	if _, err := os.Stat(w.Dir); os.IsNotExist(err) {
		// With the trace on, the series' mkdir, as its readers follow it.
		if trace.On() || w.Spares == "" {
			trace.Begin(trace.Layout, "mkdir -m 700 %s %s/{upper,work,merged}", w.Dir, w.Dir)(nil)
		} else if spare, err = w.takeSpare(); err != nil {
			return errors.Wrap(err, "create workspace")
		}
	}
	for _, d := range []string{w.Dir, w.Upper(), w.work(), w.Merged(), w.Lower()} {
		err := os.Mkdir(d, 0o700)
		if err != nil && !os.IsExist(err) {
			return errors.Wrap(err, "create workspace")
		}
		// A new upper dir takes the image's / (top layer) mode and owner:
		// overlayfs shows the upper dir's as the container's /, and 0700
		// there locks every non-root user in the container out of all
		// of it. An existing one keeps what the container made of it; a
		// spare one is new to this container.
		if (err == nil || spare) && d == w.Upper() {
			if err := copyRootAttrs(layers[len(layers)-1], d); err != nil {
				return errors.Wrap(err, "create workspace")
			}
		}
	}
	// overlayfs lists lower layers top first.
	lower := make([]string, len(layers))
	for i, l := range layers {
		lower[len(layers)-1-i] = l
	}
	if err := w.mountLower(lower); err != nil {
		return err
	}
	if mounted, err := utils.IsMountRoot(w.Merged()); err != nil || mounted {
		return err
	}
	err := w.mountMerged(lower)
	if errors.Is(err, unix.ENOENT) && w.InitLayers != "" {
		// An image prune removed the init layer between our look and
		// the mount: made again.
		err = w.mountMerged(lower)
	}
	return err
}

// mountMerged mounts the overlay of lower (top first), under the image's
// init layer if it needs one, at merged.
func (w Workspace) mountMerged(lower []string) error {
	if w.InitLayers != "" {
		init, err := initLayer(w.InitLayers, w.Lower(), lower)
		if err != nil {
			return err
		}
		if init != "" {
			lower = append([]string{init}, lower...)
		}
	}
	opts := "lowerdir=" + strings.Join(lower, ":") + ",upperdir=" + w.Upper() + ",workdir=" + w.work()
	if w.Volatile {
		// After a crash of the machine overlayfs refuses to mount a
		// volatile upper dir again until this marker is gone; its writes
		// were never meant to outlive the container.
		if err := os.RemoveAll(filepath.Join(w.work(), "work", "incompat")); err != nil {
			return errors.Wrap(err, "clear the overlay's volatile marker")
		}
		opts += ",volatile"
	}
	done := trace.Begin(trace.Overlay, "mount -t overlay overlay -o %s %s", opts, w.Merged())
	err := unix.Mount("overlay", w.Merged(), "overlay", 0, opts)
	done(err)
	if err != nil {
		return errors.Wrapf(err, "mount overlay on %s", w.Merged())
	}
	log.Debugf("overlay mounted on %s", w.Merged())
	return nil
}

// mountLower mounts the read-only view of the image at lower (layers top
// first), unless it is mounted: one layer bind-mounted read-only, several
// as an overlay without an upper dir, which overlayfs makes read-only.
// A symbolic link to a layer would be simpler but writable, and the
// layers are shared by every container and image that uses them: a
// reader's `touch lower/x` must fail, not change all of them. The view
// is mounted while the container runs, as merged is, and unmounted with
// it.
func (w Workspace) mountLower(lower []string) error {
	if mounted, err := utils.IsMountRoot(w.Lower()); err != nil || mounted {
		return err
	}
	if len(lower) > 1 {
		if err := unix.Mount("overlay", w.Lower(), "overlay", unix.MS_RDONLY, "lowerdir="+strings.Join(lower, ":")); err != nil {
			return errors.Wrapf(err, "mount the image's layers on %s", w.Lower())
		}
		return nil
	}
	if err := unix.Mount(lower[0], w.Lower(), "", unix.MS_BIND, ""); err != nil {
		return errors.Wrapf(err, "bind the image's layer on %s", w.Lower())
	}
	// A bind mount takes MS_RDONLY only on a remount.
	if err := unix.Mount("", w.Lower(), "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return utils.JoinCleanup(errors.Wrapf(err, "make %s read-only", w.Lower()), "unmounting it", unix.Unmount(w.Lower(), 0))
	}
	return nil
}

// Unmount unmounts what Mount mounted: merged and lower. It checks the
// two mount points, not the mount table: the table lists every mount on
// the machine, and reading it was the largest part of a container's
// teardown. Anything else mounted under the workspace is unmounted, with
// the table, by Remove before it deletes a file.
func (w Workspace) Unmount() error {
	var points []string
	for _, p := range []string{w.Merged(), w.Lower()} {
		if mounted, err := utils.IsMountRoot(p); err != nil {
			return err
		} else if mounted {
			points = append(points, p)
		}
	}
	if len(points) == 0 {
		return nil
	}
	done := trace.Begin(trace.Overlay, "umount %s", strings.Join(points, " "))
	var err error
	for _, p := range points {
		if _, err = utils.UnmountRoot(p); err != nil {
			break
		}
	}
	done(err)
	return err
}

// Remove deletes the workspace, refusing while anything is mounted in it.
// A workspace its container left empty is kept as a spare instead
// (spare.go), but with the trace on, which shows the series' rm -rf.
func (w Workspace) Remove() error {
	if _, err := os.Lstat(w.Dir); os.IsNotExist(err) {
		return nil
	}
	if !trace.On() && w.keepSpare() {
		return nil
	}
	done := trace.Begin(trace.Rm, "rm -rf %s (nothing is mounted under it)", w.Dir)
	err := utils.RemoveAllUnmounted(w.Dir)
	done(err)
	return err
}

// copyRootAttrs gives dst the owner and permission bits of the directory src.
func copyRootAttrs(src, dst string) error {
	var st unix.Stat_t
	if err := unix.Stat(src, &st); err != nil {
		return errors.Wrapf(err, "stat image root %s", src)
	}
	if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
		return errors.Wrapf(err, "chown %s", dst)
	}
	// After chown, which clears set-id bits; unix.Chmod keeps them and
	// the sticky bit as the image has them.
	if err := unix.Chmod(dst, st.Mode&0o7777); err != nil {
		return errors.Wrapf(err, "chmod %s", dst)
	}
	return nil
}

// CheckMounted fails unless merged is an overlay mount now. A running
// container's rootfs can be unmounted behind our back (by hand, or by a
// bug); reading merged then reads an empty directory, and a commit of it
// would silently be an empty image.
func (w Workspace) CheckMounted() error {
	infos, err := mountinfo.GetMounts(mountinfo.SingleEntryFilter(w.Merged()))
	if err != nil {
		return errors.Wrap(err, "read /proc/self/mountinfo")
	}
	if len(infos) == 0 || infos[len(infos)-1].FSType != "overlay" {
		return errors.Errorf("the container's rootfs %s is not mounted", w.Merged())
	}
	return nil
}
