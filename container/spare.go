package container

import (
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/utils"
)

// Spare workspaces. A container's workspace is five directories
// (overlay2/<id> and its upper, work, merged and lower), made for each
// container and removed with it. Removing a directory frees its block,
// and on a file system mounted with discard and without a journal (ext4
// on many VMs, CI's among them) ext4 then sends the disk a discard and
// waits for it: about 0.3 ms per directory, most of a run --rm's
// teardown. So a workspace left empty by its container is kept, renamed
// into the state root's spare directory, and the next container renames
// it into place instead of making its own: nothing is freed or made.
//
// Only an empty workspace is kept: nothing in upper (a whiteout is a
// file too), no extended attribute on it (an ACL, a label the container
// set on its /), nothing in merged or lower (unmounted first). The next
// container gives upper its image's owner and mode again, and checks it
// is still empty.

// maxSpareWorkspaces bounds the spares a root keeps: enough for the
// containers a script starts at once, a few dozen empty directories.
const maxSpareWorkspaces = 8

// SpareWorkspaceDir is where a state root keeps empty workspaces.
func SpareWorkspaceDir(root string) string { return filepath.Join(root, "spare") }

// takeSpare renames one of the spare workspaces to w.Dir, which does not
// exist yet. It reports whether it did; with none to take, the caller
// makes the directories. A spare found with something in upper is
// removed, and if that fails the start must not go on: w.Dir would then
// hold another container's files.
func (w Workspace) takeSpare() (bool, error) {
	names, err := dirNames(w.Spares, 2*maxSpareWorkspaces)
	if err != nil {
		return false, nil
	}
	for _, name := range names {
		// RENAME_NOREPLACE: renaming a directory over an empty one would
		// replace it; w.Dir is never anyone else's, but a rename must
		// not be able to take a directory away.
		err := unix.Renameat2(unix.AT_FDCWD, filepath.Join(w.Spares, name), unix.AT_FDCWD, w.Dir, unix.RENAME_NOREPLACE)
		if err == nil {
			if empty, err := isEmptyDir(w.Upper()); err != nil || !empty {
				// Never another container's files: start afresh.
				log.Warnf("spare workspace %s: upper dir not empty; removing it", name)
				if err := utils.RemoveAllUnmounted(w.Dir); err != nil {
					return false, errors.Wrap(err, "remove a spare workspace holding files")
				}
				return false, nil
			}
			return true, nil
		}
		if !errors.Is(err, unix.ENOENT) { // ENOENT: another start took it
			return false, nil
		}
	}
	return false, nil
}

// keepSpare moves the unmounted workspace to the spares if its container
// left nothing in it, and reports whether it did; if not, the caller
// removes it.
func (w Workspace) keepSpare() bool {
	if w.Spares == "" || !w.emptyOfContainer() {
		return false
	}
	if err := os.Mkdir(w.Spares, 0o700); err != nil && !os.IsExist(err) {
		return false
	}
	if names, err := dirNames(w.Spares, maxSpareWorkspaces); err != nil || len(names) >= maxSpareWorkspaces {
		return false
	}
	// work/work is overlayfs's scratch space, which it remakes at each
	// mount, and which holds the volatile option's marker
	// (incompat/volatile), with which the next mount would fail.
	if err := utils.RemoveAllUnmounted(filepath.Join(w.work(), "work")); err != nil {
		return false
	}
	spare := filepath.Join(w.Spares, utils.NewID()[:16])
	return unix.Renameat2(unix.AT_FDCWD, w.Dir, unix.AT_FDCWD, spare, unix.RENAME_NOREPLACE) == nil
}

// emptyOfContainer says whether the workspace holds exactly the
// directories Mount makes, with nothing of the container's in them.
func (w Workspace) emptyOfContainer() bool {
	names, err := dirNames(w.Dir, 5)
	if err != nil || len(names) != 4 {
		return false
	}
	for _, name := range names {
		switch name {
		case "upper", "merged", "lower", "work":
		default:
			return false
		}
	}
	for _, d := range []string{w.Upper(), w.Merged(), w.Lower()} {
		if empty, err := isEmptyDir(d); err != nil || !empty {
			return false
		}
	}
	for _, d := range []string{w.Merged(), w.Lower()} {
		if mounted, err := utils.IsMountRoot(d); err != nil || mounted {
			return false
		}
	}
	if !w.clearOverlayUUID() {
		return false
	}
	work, err := dirNames(w.work(), 2)
	return err == nil && (len(work) == 0 || len(work) == 1 && work[0] == "work")
}

// clearOverlayUUID removes the one extended attribute an empty upper
// dir may keep, the overlay's identity (trusted.overlay.uuid, which
// overlayfs sets on it at mount), so that the next container's overlay
// gets its own. It reports whether upper is left without any: anything
// else (an ACL, a label, a user.* attribute the container put on its /,
// overlayfs's other marks) keeps the workspace from being kept.
func (w Workspace) clearOverlayUUID() bool {
	buf := make([]byte, 256)
	n, err := unix.Llistxattr(w.Upper(), buf)
	if err != nil {
		return false
	}
	names := strings.Split(strings.TrimSuffix(string(buf[:n]), "\x00"), "\x00")
	if n == 0 {
		return true
	}
	if len(names) != 1 || names[0] != overlayUUIDAttr {
		return false
	}
	return unix.Lremovexattr(w.Upper(), overlayUUIDAttr) == nil
}

const overlayUUIDAttr = "trusted.overlay.uuid"

// isEmptyDir says whether path is a directory (not a link to one) with
// no entries.
func isEmptyDir(path string) (bool, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return false, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return false, nil
	}
	names, err := dirNames(path, 1)
	return len(names) == 0, err
}

// dirNames lists at most n names in dir (n < 1: all of them).
func dirNames(dir string, n int) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(n)
	if err == io.EOF {
		err = nil
	}
	return names, err
}
