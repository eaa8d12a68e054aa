package image

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// inside is how Unpack resolves every directory it works in: from the
// unpack root it holds open, never through a symlink, never out of it.
const inside = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV

// Unpack extracts the tar stream r into dest, an empty directory the caller
// owns, writing at most limit bytes (see Budget; limit <= 0: no bound).
//
// Every entry lands inside dest: names are cleaned and rooted, a name with
// ".." is refused, and every operation is made relative to a descriptor of
// the entry's parent directory, opened from dest with openat2 so that no
// symlink is followed on the way: a symlink in the archive (even one that
// replaced a directory of the same name) can never make Unpack create,
// chown, chmod or touch anything outside dest. Hard links must point at an
// earlier regular file inside dest.
//
// Owners, modes (setuid, setgid and sticky bits included: chmod follows
// chown, which clears them) and times are kept. Runs of zeros, and so the
// holes of sparse entries, are written as holes.
func Unpack(r io.Reader, dest string, limit int64) error {
	rootFd, err := unix.Open(dest, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return errors.Wrapf(err, "open %s", dest)
	}
	defer unix.Close(rootFd)
	// A layer whose archive has no "./" entry gets Docker's default for /,
	// not the private mode of the temp directory it is unpacked into.
	if err := unix.Fchmod(rootFd, 0o755); err != nil {
		return errors.Wrap(err, "chmod rootfs")
	}
	u := &unpacker{rootFd: rootFd, budget: Budget{Limit: limit}, buf: make([]byte, copyChunk)}
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
	rootFd int
	budget Budget
	buf    []byte
	dirs   []dirTime // directories whose times are set last
}

type dirTime struct {
	rel   string
	mtime time.Time
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
		if hdr.Typeflag != tar.TypeDir {
			return errors.Errorf("tar entry %q: the root must be a directory", hdr.Name)
		}
		if err := u.setMeta(u.rootFd, ".", hdr); err != nil {
			return err
		}
		u.dirs = append(u.dirs, dirTime{"", hdr.ModTime})
		return nil
	}
	dirFd, base, err := u.openParent(rel, true)
	if err != nil {
		return err
	}
	defer unix.Close(dirFd)
	if err := removeExisting(dirFd, base, rel, hdr.Typeflag == tar.TypeDir); err != nil {
		return err
	}
	perm := uint32(hdr.Mode) & 0o777
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := unix.Mkdirat(dirFd, base, 0o700); err != nil && err != unix.EEXIST {
			return errors.Wrapf(err, "create dir %s", hdr.Name)
		}
		u.dirs = append(u.dirs, dirTime{rel, hdr.ModTime})
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		if err := u.writeFile(dirFd, base, tr); err != nil {
			return errors.Wrapf(err, "extract %s", hdr.Name)
		}
	case tar.TypeSymlink:
		// The link's target is interpreted inside the container's root at
		// run time; it is never followed while unpacking.
		if err := unix.Symlinkat(hdr.Linkname, dirFd, base); err != nil {
			return errors.Wrapf(err, "create symlink %s", hdr.Name)
		}
	case tar.TypeLink:
		return u.hardLink(dirFd, base, hdr) // a hard link shares its target's metadata
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		kind := uint32(unix.S_IFIFO)
		if hdr.Typeflag == tar.TypeChar {
			kind = unix.S_IFCHR
		} else if hdr.Typeflag == tar.TypeBlock {
			kind = unix.S_IFBLK
		}
		dev := int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
		if err := unix.Mknodat(dirFd, base, kind|perm, dev); err != nil {
			return errors.Wrapf(err, "create device %s", hdr.Name)
		}
	default:
		return errors.Errorf("unsupported tar entry %s (type %q)", hdr.Name, hdr.Typeflag)
	}
	if err := u.setMeta(dirFd, base, hdr); err != nil {
		return err
	}
	if hdr.Typeflag != tar.TypeDir {
		if err := setTime(dirFd, base, hdr.ModTime); err != nil {
			return errors.Wrapf(err, "set time of %s", hdr.Name)
		}
	}
	return nil
}

// setMeta gives the entry base of dirFd, just created by Unpack, its
// owner and then its mode: chown clears setuid and setgid bits, so chmod
// must come second for them to survive. A symlink has no mode of its own.
func (u *unpacker) setMeta(dirFd int, base string, hdr *tar.Header) error {
	if err := unix.Fchownat(dirFd, base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return errors.Wrapf(err, "chown %s", hdr.Name)
	}
	if hdr.Typeflag == tar.TypeSymlink {
		return nil
	}
	// fchmodat has no AT_SYMLINK_NOFOLLOW before Linux 6.6; base is what
	// Unpack itself just made in its private directory, not a symlink.
	if err := unix.Fchmodat(dirFd, base, uint32(hdr.Mode)&0o7777, 0); err != nil {
		return errors.Wrapf(err, "chmod %s", hdr.Name)
	}
	return nil
}

func setTime(dirFd int, base string, t time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(t.UnixNano()), unix.NsecToTimespec(t.UnixNano())}
	return unix.UtimesNanoAt(dirFd, base, ts, unix.AT_SYMLINK_NOFOLLOW)
}

// dirTimes sets directory times last, since creating entries inside them
// changed them. A directory that a later entry replaced (with a symlink,
// say) is skipped: its time no longer belongs to anything in the layer,
// and following the symlink would touch whatever it points at.
func (u *unpacker) dirTimes() error {
	for i := len(u.dirs) - 1; i >= 0; i-- {
		d := u.dirs[i]
		if d.rel == "" {
			if err := setTime(u.rootFd, ".", d.mtime); err != nil {
				return errors.Wrap(err, "set time of the root")
			}
			continue
		}
		dirFd, base, err := u.openParent(d.rel, false)
		if err != nil {
			continue // its parent is gone or became a symlink
		}
		var st unix.Stat_t
		err = unix.Fstatat(dirFd, base, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
			err = setTime(dirFd, base, d.mtime)
		} else {
			err = nil
		}
		unix.Close(dirFd)
		if err != nil {
			return errors.Wrapf(err, "set time of %s", d.rel)
		}
	}
	return nil
}

// openParent opens the directory that holds rel (relative to the unpack
// root) and returns it with rel's last element. Parents missing from the
// archive are created as plain directories when create is set. A parent
// that is a symlink or not a directory is refused: the entry could land
// outside the root.
func (u *unpacker) openParent(rel string, create bool) (int, string, error) {
	fd, err := unix.Dup(u.rootFd)
	if err != nil {
		return -1, "", errors.Wrap(err, "dup unpack root")
	}
	dir, base := path.Split(rel)
	walked := ""
	for _, part := range strings.Split(strings.TrimSuffix(dir, "/"), "/") {
		if part == "" {
			continue
		}
		walked = path.Join(walked, part)
		next, err := openDir(fd, part)
		if err == unix.ENOENT && create {
			if err = unix.Mkdirat(fd, part, 0o755); err == nil || err == unix.EEXIST {
				next, err = openDir(fd, part)
			}
		}
		if err == unix.ENOTDIR && isSymlink(fd, part) {
			err = unix.ELOOP // O_NOFOLLOW|O_DIRECTORY reports a symlink as ENOTDIR
		}
		unix.Close(fd)
		switch err {
		case nil:
			fd = next
		case unix.ELOOP, unix.EXDEV:
			return -1, "", errors.Errorf("tar entry %q goes through symlink /%s", rel, walked)
		case unix.ENOTDIR:
			return -1, "", errors.Errorf("tar entry %q: parent /%s is not a directory", rel, walked)
		default:
			return -1, "", errors.Wrapf(err, "tar entry %q: open parent /%s", rel, walked)
		}
	}
	return fd, base, nil
}

func isSymlink(dirFd int, name string) bool {
	var st unix.Stat_t
	return unix.Fstatat(dirFd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK
}

// openDir opens the directory name of dirFd without following a symlink.
func openDir(dirFd int, name string) (int, error) {
	return unix.Openat2(dirFd, name, &unix.OpenHow{
		Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC, Resolve: inside})
}

// hardLink links base in dirFd to the earlier regular file hdr.Linkname.
func (u *unpacker) hardLink(dirFd int, base string, hdr *tar.Header) error {
	linkRel, err := entryPath(hdr.Linkname)
	if err != nil || linkRel == "" {
		return errors.Errorf("hard link %s points outside the image: %s", hdr.Name, hdr.Linkname)
	}
	srcFd, srcBase, err := u.openParent(linkRel, false)
	if err != nil {
		return errors.Wrapf(err, "hard link %s", hdr.Name)
	}
	defer unix.Close(srcFd)
	var st unix.Stat_t
	if err := unix.Fstatat(srcFd, srcBase, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return errors.Wrapf(err, "hard link %s: target %s", hdr.Name, hdr.Linkname)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return errors.Errorf("hard link %s points at a non-regular file %s", hdr.Name, hdr.Linkname)
	}
	if err := unix.Linkat(srcFd, srcBase, dirFd, base, 0); err != nil {
		return errors.Wrapf(err, "create hard link %s", hdr.Name)
	}
	return nil
}

// removeExisting clears the way for an entry that replaces an earlier one
// (later entries win, as in tar). A directory replacing a directory is kept.
func removeExisting(dirFd int, base, rel string, isDir bool) error {
	var st unix.Stat_t
	err := unix.Fstatat(dirFd, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err == unix.ENOENT {
		return nil
	}
	if err != nil {
		return errors.Wrapf(err, "stat /%s", rel)
	}
	wasDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	if isDir && wasDir {
		return nil
	}
	if wasDir {
		return errors.Wrapf(removeTree(dirFd, base), "replace /%s", rel)
	}
	return errors.Wrapf(unix.Unlinkat(dirFd, base, 0), "replace /%s", rel)
}

// removeTree removes the directory name of dirFd and everything in it,
// descending only through directories opened without following symlinks.
func removeTree(dirFd int, name string) error {
	fd, err := unix.Openat2(dirFd, name, &unix.OpenHow{
		Flags: unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC, Resolve: inside})
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), name)
	names, err := f.Readdirnames(-1)
	if err != nil {
		f.Close()
		return err
	}
	for _, n := range names {
		err := unix.Unlinkat(fd, n, 0)
		if err == unix.EISDIR {
			err = removeTree(fd, n)
		}
		if err != nil {
			f.Close()
			return err
		}
	}
	f.Close()
	return unix.Unlinkat(dirFd, name, unix.AT_REMOVEDIR)
}

// writeFile creates base in dirFd with r's content. O_EXCL|O_NOFOLLOW:
// never write through whatever might sit there.
func (u *unpacker) writeFile(dirFd int, base string, r io.Reader) error {
	fd, err := unix.Openat(dirFd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), base)
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
