package image

import (
	"archive/tar"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// Unpack extracts the tar stream r into dest, an empty directory the caller
// owns, writing at most limit bytes (see Budget; limit <= 0: no bound).
//
// Every entry lands inside dest: names are cleaned and rooted, a name with
// ".." is refused, and every operation goes through an os.Root opened on
// the entry's parent directory, reached from dest one directory at a time
// without following a symlink (see openParent): a symlink in the archive
// (even one that replaced a directory of the same name) can never make
// Unpack create, chown, chmod or touch anything outside dest, and os.Root
// resolves every name within its own directory, so a path that changed
// meanwhile cannot redirect it either. Hard links must point at an earlier
// regular file inside dest.
//
// Owners, modes (setuid, setgid and sticky bits included: chmod follows
// chown, which clears them), times (of symlinks too; a directory's after
// its contents) and extended attributes are kept. Runs of zeros, and so
// the holes of sparse entries, are written as holes. A later entry for a
// path replaces the earlier one; a directory over a directory merges.
//
// dest becomes an overlay lower layer, so the layer's OCI whiteouts become
// overlayfs's: "dir/.wh.name" a 0/0 character device "dir/name", and
// "dir/.wh..wh..opq" the xattr trusted.overlay.opaque=y on dir (see
// whiteout). No ".wh." name is ever created, and overlayfs's own xattrs are
// never taken from the archive: a layer must not forge them.
func Unpack(r io.Reader, dest string, limit int64) error {
	root, err := os.OpenRoot(dest)
	if err != nil {
		return errors.Wrapf(err, "open %s", dest)
	}
	defer root.Close()
	// A layer whose archive has no "./" entry gets Docker's default for /,
	// not the private mode of the temp directory it is unpacked into.
	if err := root.Chmod(".", 0o755); err != nil {
		return errors.Wrap(err, "chmod rootfs")
	}
	u := &unpacker{root: root, budget: Budget{Limit: limit}, buf: make([]byte, copyChunk), dirs: map[string]time.Time{}}
	return u.run(r)
}

// Extract extracts the tar stream r into the directory dest as cp does:
// like Unpack, never outside dest nor through a symlink, but into a tree
// that may hold anything already (an entry replaces what is at its path; a
// directory over a directory merges), with ".wh." names kept as they are
// and dest's own mode left alone.
//
// With owner set, every entry gets that owner instead of the archive's
// (cp without -a: the user at the destination).
func Extract(r io.Reader, dest string, limit int64, owner *Owner) error {
	root, err := os.OpenRoot(dest)
	if err != nil {
		return errors.Wrapf(err, "open %s", dest)
	}
	defer root.Close()
	u := &unpacker{root: root, plain: true, owner: owner, budget: Budget{Limit: limit}, buf: make([]byte, copyChunk), dirs: map[string]time.Time{}}
	return u.run(r)
}

// Owner is a numeric user and group.
type Owner struct{ UID, GID int }

func (u *unpacker) run(r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return errors.Wrap(err, "read tar")
		}
		if err := u.budget.Charge(hdr); err != nil {
			return err
		}
		if u.owner != nil {
			hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = u.owner.UID, u.owner.GID, "", ""
		}
		if err := u.entry(hdr, tr); err != nil {
			return err
		}
	}
	return u.dirTimes()
}

// copyChunk is how much of a file is read at a time; holeBlock the unit
// in which zeros become holes (a file system block).
const (
	copyChunk = 256 << 10
	holeBlock = 4096
)

type unpacker struct {
	root *os.Root // dest
	// plain: a tree copied by cp, not a layer: ".wh." names are files
	// like any other, and the root keeps its mode.
	plain  bool
	owner  *Owner // replaces every entry's owner
	budget Budget
	buf    []byte
	// dirs holds the directories' times, set last: creating entries in a
	// directory changes its mtime. The last entry for a path wins.
	dirs map[string]time.Time
}

func (u *unpacker) entry(hdr *tar.Header, tr io.Reader) error {
	rel, err := entryPath(hdr.Name)
	if err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	if rel == "" { // the archive's "./": the root itself
		if u.plain {
			return nil // cp copies into dest; dest itself stays as it is
		}
		if hdr.Typeflag != tar.TypeDir {
			return errors.Errorf("tar entry %q: the root must be a directory", hdr.Name)
		}
		if err := setMeta(u.root, ".", hdr); err != nil {
			return err
		}
		if err := setXattrs(u.root, "", hdr); err != nil {
			return errors.Wrapf(err, "set xattrs of %s", hdr.Name)
		}
		u.dirs[""] = hdr.ModTime
		return nil
	}
	if !u.plain {
		skip, err := whiteoutParents(rel)
		if err != nil || skip {
			return err
		}
	}
	dir, base, err := u.openParent(rel, true)
	if err != nil {
		return err
	}
	defer dir.Close()
	if !u.plain && strings.HasPrefix(base, whiteoutPrefix) {
		return u.whiteout(dir, base, rel)
	}
	if u.plain && (hdr.Typeflag == tar.TypeChar && hdr.Devmajor == 0 && hdr.Devminor == 0) {
		// On an overlay that is a whiteout: it would hide, not add.
		return errors.Errorf("tar entry %s: a 0/0 character device is overlayfs's whiteout", hdr.Name)
	}
	if u.plain {
		// cp never deletes a tree to put a file there, nor the reverse.
		if fi, err := dir.Lstat(base); err == nil && fi.IsDir() != (hdr.Typeflag == tar.TypeDir) {
			if fi.IsDir() {
				return errors.Errorf("cannot overwrite directory /%s with non-directory", rel)
			}
			return errors.Errorf("cannot overwrite non-directory /%s with directory", rel)
		}
	}
	replacedWhiteout, err := removeExisting(dir, base, rel, hdr.Typeflag == tar.TypeDir)
	if err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := dir.Mkdir(base, 0o700); err != nil && !os.IsExist(err) {
			return errors.Wrapf(err, "create dir %s", hdr.Name)
		}
		// The layer deleted what lower layers had here and made a new
		// directory: overlayfs must not merge the old contents into it.
		if replacedWhiteout && !u.plain {
			if err := setOpaque(dir, base); err != nil {
				return errors.Wrapf(err, "tar entry %s", hdr.Name)
			}
		}
		u.dirs[rel] = hdr.ModTime
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		if err := u.writeFile(dir, base, tr); err != nil {
			return errors.Wrapf(err, "extract %s", hdr.Name)
		}
	case tar.TypeSymlink:
		// The link's target is interpreted inside the container's root at
		// run time; it is never followed while unpacking.
		if err := dir.Symlink(hdr.Linkname, base); err != nil {
			return errors.Wrapf(err, "create symlink %s", hdr.Name)
		}
	case tar.TypeLink:
		return u.hardLink(rel, hdr) // a hard link shares its target's metadata
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		if err := mknod(dir, base, hdr); err != nil {
			return errors.Wrapf(err, "create device %s", hdr.Name)
		}
	default:
		return errors.Errorf("unsupported tar entry %s (type %q)", hdr.Name, hdr.Typeflag)
	}
	if err := setMeta(dir, base, hdr); err != nil {
		return err
	}
	// After chown, which drops security.capability.
	if err := setXattrs(dir, base, hdr); err != nil {
		return errors.Wrapf(err, "set xattrs of %s", hdr.Name)
	}
	if hdr.Typeflag != tar.TypeDir {
		if err := setTime(dir, base, hdr.ModTime, hdr.Typeflag == tar.TypeSymlink); err != nil {
			return errors.Wrapf(err, "set time of %s", hdr.Name)
		}
	}
	return nil
}

// setMeta gives the entry base of dir, just created by Unpack, its owner
// and then its mode: chown clears setuid and setgid bits, so chmod must
// come second for them to survive. A symlink has no mode of its own.
func setMeta(dir *os.Root, base string, hdr *tar.Header) error {
	if err := dir.Lchown(base, hdr.Uid, hdr.Gid); err != nil {
		return errors.Wrapf(err, "chown %s", hdr.Name)
	}
	if hdr.Typeflag == tar.TypeSymlink {
		return nil
	}
	// The header's FileInfo carries the setuid, setgid and sticky bits
	// as os.FileMode flags, which Chmod turns back into mode bits.
	if err := dir.Chmod(base, hdr.FileInfo().Mode()); err != nil {
		return errors.Wrapf(err, "chmod %s", hdr.Name)
	}
	return nil
}

// setTime sets the access and modification times of base in dir to t.
// Root.Chtimes follows a symlink (and refuses an absolute one), so a
// symlink's own times are set with utimensat(AT_SYMLINK_NOFOLLOW) on a
// descriptor of dir.
func setTime(dir *os.Root, base string, t time.Time, isLink bool) error {
	if !isLink {
		return dir.Chtimes(base, t, t)
	}
	ts := []unix.Timespec{unix.NsecToTimespec(t.UnixNano()), unix.NsecToTimespec(t.UnixNano())}
	return atDir(dir, func(dirFd int) error {
		return unix.UtimesNanoAt(dirFd, base, ts, unix.AT_SYMLINK_NOFOLLOW)
	})
}

// mknod creates the device node or fifo of hdr as base in dir. os.Root
// has no Mknod: mknodat runs on a descriptor of dir.
func mknod(dir *os.Root, base string, hdr *tar.Header) error {
	kind := uint32(unix.S_IFIFO)
	if hdr.Typeflag == tar.TypeChar {
		kind = unix.S_IFCHR
	} else if hdr.Typeflag == tar.TypeBlock {
		kind = unix.S_IFBLK
	}
	dev := int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
	return atDir(dir, func(dirFd int) error {
		return unix.Mknodat(dirFd, base, kind|uint32(hdr.Mode)&0o777, dev)
	})
}

// atDir runs fn with a descriptor of dir, for the two *at calls os.Root
// does not offer. The descriptor is opened through dir, so it is dir.
func atDir(dir *os.Root, fn func(dirFd int) error) error {
	f, err := dir.Open(".")
	if err != nil {
		return err
	}
	defer f.Close()
	return fn(int(f.Fd()))
}

// dirTimes sets directory times last, since creating entries inside them
// changed them (setting a directory's own time does not change its
// parent's, so the order does not matter). A directory that a later entry
// replaced (with a symlink, say) is skipped: its time no longer belongs to
// anything in the layer, and following the symlink would touch whatever it
// points at.
func (u *unpacker) dirTimes() error {
	rels := make([]string, 0, len(u.dirs))
	for rel := range u.dirs {
		rels = append(rels, rel)
	}
	sort.Strings(rels)
	for _, rel := range rels {
		mtime := u.dirs[rel]
		if rel == "" {
			if err := u.root.Chtimes(".", mtime, mtime); err != nil {
				return errors.Wrap(err, "set time of the root")
			}
			continue
		}
		dir, base, err := u.openParent(rel, false)
		if err != nil {
			continue // its parent is gone or became a symlink
		}
		fi, err := dir.Lstat(base)
		if err == nil && fi.IsDir() {
			err = dir.Chtimes(base, mtime, mtime)
		} else {
			err = nil
		}
		dir.Close()
		if err != nil {
			return errors.Wrapf(err, "set time of %s", rel)
		}
	}
	return nil
}

// openParent opens the directory that holds rel (relative to the unpack
// root) and returns it, as an os.Root, with rel's last element. Parents
// missing from the archive are created as plain directories when create
// is set. A parent that is a symlink or not a directory is refused, even
// a symlink that stays inside the image: the entry must land where its
// name says, as it will be seen from the container's root, not where a
// link led the unpacking (os.Root alone would follow it).
func (u *unpacker) openParent(rel string, create bool) (*os.Root, string, error) {
	parent, err := u.root.OpenRoot(".")
	if err != nil {
		return nil, "", errors.Wrap(err, "open unpack root")
	}
	dir, base := path.Split(rel)
	walked := ""
	for _, part := range strings.Split(strings.TrimSuffix(dir, "/"), "/") {
		if part == "" {
			continue
		}
		walked = path.Join(walked, part)
		next, err := openDir(parent, part, create)
		parent.Close()
		switch {
		case err == nil:
			parent = next
		case errors.Is(err, unix.ELOOP):
			return nil, "", errors.Errorf("tar entry %q goes through symlink /%s", rel, walked)
		case errors.Is(err, unix.ENOTDIR):
			return nil, "", errors.Errorf("tar entry %q: parent /%s is not a directory", rel, walked)
		default:
			return nil, "", errors.Wrapf(err, "tar entry %q: open parent /%s", rel, walked)
		}
	}
	return parent, base, nil
}

// openDir opens the directory name of parent, first creating it if it is
// missing and create is set. A symlink is reported as ELOOP, not followed.
//
// A whiteout this layer made there earlier ("a/.wh.b", then "a/b/c") is
// replaced, when create is set, by an opaque directory: the layer deleted
// what lower layers had at the path, then put new content there.
func openDir(parent *os.Root, name string, create bool) (*os.Root, error) {
	fi, err := parent.Lstat(name)
	if err == nil && create && isWhiteout(fi) {
		if err = parent.Remove(name); err == nil {
			if err = parent.Mkdir(name, 0o755); err == nil {
				err = setOpaque(parent, name)
			}
		}
		if err != nil {
			return nil, err
		}
		fi, err = parent.Lstat(name)
	}
	if os.IsNotExist(err) && create {
		if err = parent.Mkdir(name, 0o755); err == nil || os.IsExist(err) {
			fi, err = parent.Lstat(name)
		}
	}
	switch {
	case err != nil:
		return nil, err
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, unix.ELOOP
	case !fi.IsDir():
		return nil, unix.ENOTDIR
	}
	return parent.OpenRoot(name)
}

// hardLink links rel to the earlier entry hdr.Linkname of this layer: a
// regular file, symlink, device or fifo, never a directory or a whiteout.
// Both names are resolved within the unpack root, whose parents openParent
// checked; linkat does not follow a symlink at the target.
func (u *unpacker) hardLink(rel string, hdr *tar.Header) error {
	linkRel, err := entryPath(hdr.Linkname)
	if err != nil || linkRel == "" {
		return errors.Errorf("hard link %s points outside the image: %s", hdr.Name, hdr.Linkname)
	}
	src, srcBase, err := u.openParent(linkRel, false)
	if err != nil {
		return errors.Wrapf(err, "hard link %s", hdr.Name)
	}
	defer src.Close()
	fi, err := src.Lstat(srcBase)
	if err != nil {
		return errors.Wrapf(err, "hard link %s: target %s", hdr.Name, hdr.Linkname)
	}
	if fi.IsDir() || isWhiteout(fi) {
		return errors.Errorf("hard link %s points at a directory or whiteout %s", hdr.Name, hdr.Linkname)
	}
	if err := u.root.Link(linkRel, rel); err != nil {
		return errors.Wrapf(err, "create hard link %s", hdr.Name)
	}
	return nil
}

// removeExisting clears the way for an entry that replaces an earlier one
// (later entries win, as in tar). A directory replacing a directory is
// kept. Root.RemoveAll never follows a symlink, in the tree or at base.
// It reports whether what it removed was a whiteout.
func removeExisting(dir *os.Root, base, rel string, isDir bool) (bool, error) {
	fi, err := dir.Lstat(base)
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, errors.Wrapf(err, "stat /%s", rel)
	}
	if isDir && fi.IsDir() {
		return false, nil
	}
	if err := dir.RemoveAll(base); err != nil {
		return false, errors.Wrapf(err, "replace /%s", rel)
	}
	return isWhiteout(fi), nil
}

// writeFile creates base in dir with r's content. O_EXCL: never write
// through whatever might sit there (os.Root does not follow a symlink with
// O_CREATE|O_EXCL).
func (u *unpacker) writeFile(dir *os.Root, base string, r io.Reader) error {
	f, err := dir.OpenFile(base, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := writeSparse(f, r, u.buf); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var zeros [holeBlock]byte

// writeSparse copies r into the empty file f, seeking over every block of
// zeros instead of writing it, so a sparse file (a disk image, a database)
// stays sparse and costs only its data on disk, as GNU tar's --sparse
// extraction does. The file's size is set at the end, for a final hole.
func writeSparse(f *os.File, r io.Reader, buf []byte) error {
	var off int64
	for {
		n, rerr := fill(r, buf)
		chunk := buf[:n]
		for len(chunk) > 0 {
			// The next run of data blocks, then the run of zero blocks after it.
			data := 0
			for data < len(chunk) && !isZero(chunk[data:min(data+holeBlock, len(chunk))]) {
				data = min(data+holeBlock, len(chunk))
			}
			if data > 0 {
				if _, err := f.WriteAt(chunk[:data], off); err != nil {
					return err
				}
				off += int64(data)
				chunk = chunk[data:]
			}
			hole := 0
			for hole < len(chunk) && isZero(chunk[hole:min(hole+holeBlock, len(chunk))]) {
				hole = min(hole+holeBlock, len(chunk))
			}
			off += int64(hole)
			chunk = chunk[hole:]
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	return f.Truncate(off)
}

// fill reads into buf until it is full or r ends. Unlike io.ReadFull it
// keeps a truncated archive's io.ErrUnexpectedEOF apart from a clean end,
// which it reports as io.EOF.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func isZero(b []byte) bool { return bytes.Equal(b, zeros[:len(b)]) }

// entryPath turns a tar name into a clean path relative to the layer root.
// Leading "/" is dropped (as Docker does); a name that climbs above the
// root with ".." is refused.
func entryPath(name string) (string, error) {
	if strings.ContainsRune(name, 0) {
		return "", errors.Errorf("tar entry name %q contains NUL", name)
	}
	clean := path.Clean("/" + name)
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", errors.Errorf("tar entry %q climbs out of the image with ..", name)
		}
	}
	return strings.TrimPrefix(clean, "/"), nil
}

// The OCI layer format marks deletions with names (whiteoutPrefix + the
// deleted name, opaqueMarker in a directory whose lower contents are all
// hidden); overlayfs marks them with a 0/0 character device and an xattr.
// Names under whiteoutMeta other than opaqueMarker are AUFS's bookkeeping,
// which some old images carry and which Docker skips too.
const (
	whiteoutPrefix = ".wh."
	whiteoutMeta   = ".wh..wh."
	opaqueMarker   = ".wh..wh..opq"
	opaqueXattr    = "trusted.overlay.opaque"
	paxXattr       = "SCHILY.xattr."
)

// whiteoutParents checks the directories rel goes through: an entry inside
// AUFS's bookkeeping directories is skipped, and one inside any other
// ".wh." directory refused, so that no ".wh." name is ever created.
func whiteoutParents(rel string) (skip bool, err error) {
	parts := strings.Split(rel, "/")
	for _, part := range parts[:len(parts)-1] {
		if strings.HasPrefix(part, whiteoutMeta) {
			return true, nil
		}
		if strings.HasPrefix(part, whiteoutPrefix) {
			return false, errors.Errorf("tar entry %q is inside a whiteout", rel)
		}
	}
	return false, nil
}

// whiteout applies the whiteout entry base of dir (rel in the layer): the
// opaque marker makes dir opaque; "dir/.wh.name" replaces whatever this
// layer put at dir/name with overlayfs's whiteout, which hides name of
// the layers below.
func (u *unpacker) whiteout(dir *os.Root, base, rel string) error {
	if base == opaqueMarker {
		return errors.Wrapf(atDir(dir, func(fd int) error {
			return unix.Fsetxattr(fd, opaqueXattr, []byte("y"), 0)
		}), "tar entry %s: make the directory opaque", rel)
	}
	if strings.HasPrefix(base, whiteoutMeta) {
		return nil
	}
	name := strings.TrimPrefix(base, whiteoutPrefix)
	if name == "" || name == "." || name == ".." {
		return errors.Errorf("tar entry %q: whiteout of no file", rel)
	}
	target := path.Join(path.Dir(rel), name)
	if _, err := removeExisting(dir, name, target, false); err != nil {
		return err
	}
	return errors.Wrapf(atDir(dir, func(fd int) error {
		return unix.Mknodat(fd, name, unix.S_IFCHR, 0)
	}), "tar entry %s: create whiteout", rel)
}

// isWhiteout: fi is overlayfs's whiteout, a character device 0/0.
func isWhiteout(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && fi.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0
}

// setOpaque marks the directory name of dir opaque.
func setOpaque(dir *os.Root, name string) error {
	return atDir(dir, func(fd int) error {
		return unix.Lsetxattr(fdPath(fd, name), opaqueXattr, []byte("y"), 0)
	})
}

// setXattrs gives base of dir (dir itself if base is "") the extended
// attributes of hdr's PAX records, security.capability for one, but never
// overlayfs's own (see overlayXattr).
func setXattrs(dir *os.Root, base string, hdr *tar.Header) error {
	keys := make([]string, 0, len(hdr.PAXRecords))
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, paxXattr) && !overlayXattr(k[len(paxXattr):]) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil // most entries: no descriptor to open
	}
	sort.Strings(keys)
	return atDir(dir, func(dirFd int) error {
		for _, k := range keys {
			name, value := k[len(paxXattr):], []byte(hdr.PAXRecords[k])
			var err error
			if base == "" {
				err = unix.Fsetxattr(dirFd, name, value, 0)
			} else {
				err = unix.Lsetxattr(fdPath(dirFd, base), name, value, 0)
			}
			if err != nil {
				return errors.Wrapf(err, "setxattr %s", name)
			}
		}
		return nil
	})
}

// overlayXattr: name is one of overlayfs's private attributes (opaque,
// redirect, metacopy, origin, whiteout...), trusted.overlay.* or, on a
// mount with userxattr, user.overlay.*. Only overlayfs itself, or Unpack
// from a whiteout, may set them; PackDiff and Pack never copy them.
func overlayXattr(name string) bool {
	return strings.HasPrefix(name, "trusted.overlay.") || strings.HasPrefix(name, "user.overlay.")
}

// fdPath names base of the directory held open as dirFd for the l*xattr
// calls, which have no *at form here: /proc/self/fd/N is that very
// directory, and base, a single name, is not followed if it is a symlink.
func fdPath(dirFd int, base string) string {
	return "/proc/self/fd/" + strconv.Itoa(dirFd) + "/" + base
}
