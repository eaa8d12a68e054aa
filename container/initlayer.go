package container

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/trace"
	"mydocker/utils"
)

// The init layer: init bind-mounts the container's /etc/hosts,
// /etc/hostname and /etc/resolv.conf over files that must exist in its
// rootfs. An image without them (busybox has none) had init create them
// in the container's writable layer on every start: a copy-up of /etc
// and three new files, four inodes made and, for --rm, deleted again on
// the path of every run (a millisecond and more on a file system that
// makes and deletes many). Docker keeps such mount points in a layer of
// their own under the container's; ours is made once per image, shared
// by its containers as the top read-only layer, and holds only the files
// the image lacks, empty, in an /etc that has the image's mode and
// owner. Init finds them there and creates nothing. Diff and commit read
// the writable layer only, so the placeholders are in neither, as in
// Docker.
//
// Init layers are derived from their image, so an image prune removes
// every one no container has mounted (image.Store's garbage collection),
// and the next start that needs one makes it again.

// InitLayerDir is where a state root keeps its init layers,
// <root>/layers/init/<key>.
func InitLayerDir(root string) string { return filepath.Join(root, "layers", "init") }

// initMountPoints are the files under /etc that init binds over.
var initMountPoints = []string{"hosts", "hostname", "resolv.conf"}

// initLayerTempPrefix names, in <root>/layers, an init layer being made,
// as "<prefix><pid>-<start time>-<random>": the image store's temporary
// names there (image/temp.go), whose sweep removes one whose maker died.
const initLayerTempPrefix = "unpack-"

// initLayer returns the init layer, in dir, of the image whose layers
// (top first) are mounted read-only at view, making it if needed. It
// returns "" when the image has every mount point, or has /etc as
// anything but a directory (init then does as it always did).
func initLayer(dir, view string, layers []string) (string, error) {
	etc := filepath.Join(view, "etc")
	var st unix.Stat_t
	mode, uid, gid := uint32(0o755), uint32(0), uint32(0)
	switch err := unix.Lstat(etc, &st); {
	case err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR:
		mode, uid, gid = st.Mode&0o7777, st.Uid, st.Gid
	case err == unix.ENOENT:
	case err == nil:
		return "", nil // a link or a file: nothing of ours goes over it
	default:
		return "", errors.Wrapf(err, "look at the image's /etc")
	}
	var missing []string
	for _, name := range initMountPoints {
		err := unix.Lstat(filepath.Join(etc, name), &st)
		if err == unix.ENOENT {
			missing = append(missing, name)
		} else if err != nil && err != unix.ENOTDIR {
			return "", errors.Wrapf(err, "look at the image's /etc/%s", name)
		}
	}
	if len(missing) == 0 {
		return "", nil
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\n%s\n%o %d %d", strings.Join(layers, ":"), strings.Join(missing, ","), mode, uid, gid))
	path := filepath.Join(dir, hex.EncodeToString(sum[:16]))
	if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
		return path, nil
	}
	return path, makeInitLayer(path, missing, mode, uid, gid)
}

// makeInitLayer makes the init layer path under a temporary name, then
// renames it into place: a layer is never seen half made, and of two
// starts making the same one at once, the second uses the first's.
func makeInitLayer(path string, missing []string, mode, uid, gid uint32) (err error) {
	done := trace.Begin(trace.Overlay, "mkdir -p %s/etc && touch %s/etc/{%s} (the init layer: the mount points the image lacks)",
		path, path, strings.Join(missing, ","))
	defer func() { done(err) }()
	layers := filepath.Dir(filepath.Dir(path))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return errors.Wrap(err, "create the init layers' directory")
	}
	tmp, err := os.MkdirTemp(layers, fmt.Sprintf("%s%d-%d-", initLayerTempPrefix, os.Getpid(), utils.ProcStartTime(os.Getpid())))
	if err != nil {
		return errors.Wrap(err, "create an init layer")
	}
	defer func() {
		if err != nil {
			// Never mounted: plain files. What cannot be removed keeps
			// its unpack- name, which the image store's sweep removes
			// once this process is gone.
			err = utils.JoinCleanup(err, "removing "+tmp, os.RemoveAll(tmp))
		}
	}()
	if err := unix.Chmod(tmp, 0o755); err != nil {
		return errors.Wrap(err, "create an init layer")
	}
	etc := filepath.Join(tmp, "etc")
	if err := os.Mkdir(etc, 0o700); err != nil {
		return errors.Wrap(err, "create an init layer")
	}
	if err := os.Lchown(etc, int(uid), int(gid)); err != nil {
		return errors.Wrap(err, "create an init layer")
	}
	// After chown, which clears set-id bits.
	if err := unix.Chmod(etc, mode); err != nil {
		return errors.Wrap(err, "create an init layer")
	}
	for _, name := range missing {
		f, err := os.OpenFile(filepath.Join(etc, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return errors.Wrap(err, "create an init layer")
		}
		if err := f.Close(); err != nil {
			return errors.Wrap(err, "create an init layer")
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		if fi, serr := os.Lstat(path); serr == nil && fi.IsDir() {
			// Another start made the same layer first: ours goes, and
			// the start goes on with theirs (a leftover is swept later).
			if rerr := os.RemoveAll(tmp); rerr != nil {
				log.Warnf("remove the spare init layer %s: %v", tmp, rerr)
			}
			return nil
		}
		return errors.Wrap(err, "create an init layer")
	}
	return nil
}
