package image

import (
	"archive/tar"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// beneath is how Pack opens everything: relative to a directory it
// already holds open, never through a symlink, never across a mount.
//
// Pack keeps these openat2 calls where Unpack uses os.Root: it reads a
// tree the running container can change, and os.Root would do two things
// Pack must not. It crosses mount points, while Pack finds a volume or
// /proc mounted in the container by the EXDEV of RESOLVE_NO_XDEV and
// packs only the empty mount point. And it follows a symlink that stays
// inside it, so a directory the container swaps for a link between the
// walk's stat and its open would be packed from wherever the link leads.
const beneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV

// Pack writes the tree at dir as a tar stream to w: what a container sees
// at its root. It keeps owners, modes, times (whole seconds), symlinks,
// hard links, device nodes and extended attributes (as PAX records; never
// overlayfs's own), and does not descend into anything mounted below dir (a
// volume, /proc): a mount point is kept as an empty directory.
//
// A running container can swap any directory or file for a symlink while
// it is being packed, so the walk holds each directory open and opens
// every child relative to it with openat2 (no symlinks, no leaving,
// no other mounts): commit can never read or list anything of the host.
//
// The tar is bounded like an unpack (MaxSize): a container can make a
// sparse file of any size in a moment, which a tar would spell out in
// zeros.
func Pack(w io.Writer, dir string) error {
	limit, err := MaxSize()
	if err != nil {
		return err
	}
	return packWithin(w, dir, limit, false)
}

// PackDiff writes a container's overlay upper directory, what it changed
// of its image, as an OCI layer to w: overlayfs's whiteouts (0/0 character
// devices) become empty ".wh.name" files and its opaque directories
// (trusted.overlay.opaque=y) a directory entry followed by
// "dir/.wh..wh..opq"; overlayfs's other xattrs are left out. Everything
// else is packed as Pack does, but without the "./" entry, as Docker's
// layers are.
//
// The same tree gives the same bytes, and so the same digest: entries in
// name order (a directory's whiteouts first, as the OCI spec asks), mtimes
// in whole seconds, no atime or ctime, numeric owners without names.
//
// A directory renamed with redirect_dir or a file copied up with metacopy
// has its data in a lower layer, which a diff cannot carry: PackDiff
// refuses them rather than write a layer that lost it (mydocker's mounts
// use neither).
func PackDiff(w io.Writer, upper string) error {
	limit, err := MaxSize()
	if err != nil {
		return err
	}
	return packWithin(w, upper, limit, true)
}

func packWithin(w io.Writer, dir string, limit int64, diff bool) error {
	rootFd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return errors.Wrapf(err, "open %s", dir)
	}
	defer unix.Close(rootFd)
	var st unix.Stat_t
	if err := unix.Fstat(rootFd, &st); err != nil {
		return errors.Wrapf(err, "stat %s", dir)
	}
	p := &packer{tw: tar.NewWriter(w), links: map[[2]uint64]string{}, budget: Budget{Limit: limit}, diff: diff}
	if !diff {
		if err := p.tw.WriteHeader(header("./", &st)); err != nil {
			return errors.Wrap(err, "write root entry")
		}
	}
	if err := p.walk(rootFd, ""); err != nil {
		return err
	}
	return errors.Wrap(p.tw.Close(), "finish tar")
}

type packer struct {
	tw     *tar.Writer
	links  map[[2]uint64]string // (dev, ino) of files with several links -> first name
	budget Budget
	diff   bool // an upper directory: overlayfs's whiteouts become OCI's
}

// walk writes every entry of the open directory dirFd, named rel.
func (p *packer) walk(dirFd int, rel string) error {
	names, err := readDirNames(dirFd)
	if err != nil {
		return errors.Wrapf(err, "list /%s", rel)
	}
	type child struct {
		name string
		st   unix.Stat_t
	}
	var whiteouts, others []child
	for _, name := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(dirFd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if err == unix.ENOENT {
				continue // removed by the running container meanwhile
			}
			return errors.Wrapf(err, "stat /%s", path.Join(rel, name))
		}
		if p.diff && isWhiteoutStat(&st) {
			whiteouts = append(whiteouts, child{name, st})
		} else {
			others = append(others, child{name, st})
		}
	}
	for _, c := range append(whiteouts, others...) {
		if err := p.entry(dirFd, rel, c.name, &c.st); err != nil {
			return err
		}
	}
	return nil
}

func (p *packer) entry(dirFd int, rel, name string, st *unix.Stat_t) error {
	return p.entryAt(dirFd, path.Join(rel, name), name, st)
}

// entryAt writes entry name of dirFd, named childRel in the archive.
func (p *packer) entryAt(dirFd int, childRel, name string, st *unix.Stat_t) error {
	rel := path.Dir(childRel)
	if p.diff && isWhiteoutStat(st) {
		return p.writeWhiteout(path.Join(rel, whiteoutPrefix+name), st)
	}
	hdr := header(childRel, st)
	xattrs, err := readXattrs(fdPath(dirFd, name))
	if err == unix.ENOENT {
		return nil // removed by the running container meanwhile
	}
	if err != nil {
		return errors.Wrapf(err, "read xattrs of /%s", childRel)
	}
	opaque := false
	for k, v := range xattrs {
		switch {
		case !overlayXattr(k):
			if hdr.PAXRecords == nil {
				hdr.PAXRecords = map[string]string{}
			}
			hdr.PAXRecords[paxXattr+k] = v
		case !p.diff:
			// overlayfs's own attributes are never packed; in a merged
			// view it hides them anyway.
		case k == opaqueXattr:
			opaque = v == "y"
		case strings.HasSuffix(k, ".redirect") || strings.HasSuffix(k, ".metacopy"):
			return errors.Errorf("/%s has overlayfs's %s: its data is in a lower layer, which a diff cannot carry", childRel, k)
		}
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFSOCK:
		return nil // sockets do not survive a commit, as in tar
	case unix.S_IFLNK:
		target, err := readlinkat(dirFd, name)
		if err != nil {
			return errors.Wrapf(err, "readlink /%s", childRel)
		}
		hdr.Linkname = target
	case unix.S_IFREG:
		if st.Nlink > 1 {
			key := [2]uint64{st.Dev, st.Ino}
			if first, ok := p.links[key]; ok {
				// A hard link shares the first name's metadata.
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
				hdr.PAXRecords = nil
			} else {
				p.links[key] = hdr.Name
			}
		}
	}
	if err := p.budget.Charge(hdr); err != nil {
		return err
	}
	if err := p.tw.WriteHeader(hdr); err != nil {
		return errors.Wrapf(err, "write /%s", childRel)
	}
	switch {
	case hdr.Typeflag == tar.TypeDir:
		if opaque {
			// Right after the directory, before its contents: an
			// applier that removes the lower contents when it sees the
			// marker keeps everything of this layer either way.
			if err := p.writeWhiteout(path.Join(childRel, opaqueMarker), st); err != nil {
				return err
			}
		}
		return p.subdir(dirFd, childRel, name)
	case hdr.Typeflag == tar.TypeReg && hdr.Size > 0:
		return p.copyFile(dirFd, childRel, name, st, hdr.Size)
	}
	return nil
}

// writeWhiteout writes the OCI whiteout (or opaque marker) name, an empty
// file with the owner and mtime of the overlayfs whiteout (or directory)
// st it stands for.
func (p *packer) writeWhiteout(name string, st *unix.Stat_t) error {
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Mode:     0o600,
		Uid:      int(st.Uid),
		Gid:      int(st.Gid),
		ModTime:  time.Unix(st.Mtim.Sec, 0),
	}
	if err := p.budget.Charge(hdr); err != nil {
		return err
	}
	return errors.Wrapf(p.tw.WriteHeader(hdr), "write /%s", name)
}

// isWhiteoutStat: st is overlayfs's whiteout, a character device 0/0.
func isWhiteoutStat(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

// readXattrs reads the extended attributes of p, not following it if it
// is a symlink (see fdPath).
func readXattrs(p string) (map[string]string, error) {
	list, err := xattrBuf(func(b []byte) (int, error) { return unix.Llistxattr(p, b) })
	if err != nil || len(list) == 0 {
		return nil, ignoreNoXattrs(err)
	}
	attrs := map[string]string{}
	for _, k := range strings.Split(strings.TrimSuffix(string(list), "\x00"), "\x00") {
		v, err := xattrBuf(func(b []byte) (int, error) { return unix.Lgetxattr(p, k, b) })
		if err == unix.ENODATA {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, errors.Wrapf(err, "getxattr %s", k)
		}
		attrs[k] = string(v)
	}
	return attrs, nil
}

// ignoreNoXattrs: a file system without xattrs has none to pack.
func ignoreNoXattrs(err error) error {
	if err == unix.ENOTSUP {
		return nil
	}
	return err
}

// xattrBuf calls get (a listxattr or getxattr) with a buffer that grows
// until the value fits: it may grow between the calls.
func xattrBuf(get func([]byte) (int, error)) ([]byte, error) {
	for size := 256; ; size *= 4 {
		buf := make([]byte, size)
		n, err := get(buf)
		if err == unix.ERANGE && size < 1<<20 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
}

func (p *packer) subdir(dirFd int, childRel, name string) error {
	fd, err := unix.Openat2(dirFd, name, &unix.OpenHow{
		Flags: unix.O_DIRECTORY | unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC, Resolve: beneath})
	if err == unix.EXDEV {
		return nil // a mount point: its own contents are not the container's
	}
	if err != nil {
		return errors.Wrapf(err, "open /%s inside the container", childRel)
	}
	defer unix.Close(fd)
	return p.walk(fd, childRel)
}

// copyFile copies a regular file, checking it is still the inode that was
// stat'ed, and exactly size bytes of it: a file growing meanwhile must not
// break the tar stream.
func (p *packer) copyFile(dirFd int, childRel, name string, walked *unix.Stat_t, size int64) error {
	fd, err := unix.Openat2(dirFd, name, &unix.OpenHow{
		Flags: unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC, Resolve: beneath})
	if err != nil {
		return errors.Wrapf(err, "open /%s inside the container", childRel)
	}
	f := os.NewFile(uintptr(fd), childRel)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return errors.Wrapf(err, "stat /%s", childRel)
	}
	if st.Ino != walked.Ino || st.Dev != walked.Dev {
		return errors.Errorf("/%s changed while it was being committed", childRel)
	}
	n, err := io.Copy(p.tw, io.LimitReader(f, size))
	if err != nil {
		return errors.Wrapf(err, "copy /%s", childRel)
	}
	if n < size {
		return errors.Errorf("/%s shrank while it was being committed", childRel)
	}
	return nil
}

// header describes an entry from its stat, with numeric owners only: the
// image's users, not the host's names for them.
func header(name string, st *unix.Stat_t) *tar.Header {
	h := &tar.Header{
		Name: name,
		Mode: int64(st.Mode & 0o7777),
		Uid:  int(st.Uid),
		Gid:  int(st.Gid),
		// Whole seconds, as Docker: the tar's bytes, and so a layer's
		// digest, must not depend on sub-second times.
		ModTime: time.Unix(st.Mtim.Sec, 0),
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		h.Typeflag = tar.TypeDir
		if name != "./" {
			h.Name += "/"
		}
	case unix.S_IFLNK:
		h.Typeflag = tar.TypeSymlink
	case unix.S_IFCHR, unix.S_IFBLK:
		h.Typeflag = tar.TypeChar
		if st.Mode&unix.S_IFMT == unix.S_IFBLK {
			h.Typeflag = tar.TypeBlock
		}
		h.Devmajor, h.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	case unix.S_IFIFO:
		h.Typeflag = tar.TypeFifo
	default:
		h.Typeflag = tar.TypeReg
		h.Size = st.Size
	}
	return h
}

// readDirNames lists a directory held open as dirFd, sorted, without
// moving dirFd's own offset (it reads through a duplicate).
func readDirNames(dirFd int) ([]string, error) {
	fd, err := unix.Openat(dirFd, ".", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), ".")
	defer f.Close()
	names, err := f.Readdirnames(-1)
	sort.Strings(names)
	return names, err
}

func readlinkat(dirFd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dirFd, name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

// PackEntry writes the entry name of the open directory dirFd as a tar
// stream to w, with everything below it if it is a directory, as cp
// copies a path: the entry is named as as (a directory's contents as/...),
// or, with contentsOnly, only a directory's contents are written, named
// from it. It reads as Pack does: never through a symlink (a symlink is
// copied as one), never across a mount, bounded by MaxSize.
func PackEntry(w io.Writer, dirFd int, name, as string, contentsOnly bool) error {
	limit, err := MaxSize()
	if err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dirFd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return errors.Wrapf(err, "stat %s", name)
	}
	p := &packer{tw: tar.NewWriter(w), links: map[[2]uint64]string{}, budget: Budget{Limit: limit}}
	if contentsOnly {
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return errors.Errorf("%s is not a directory", name)
		}
		fd, err := unix.Openat2(dirFd, name, &unix.OpenHow{
			Flags: unix.O_DIRECTORY | unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC, Resolve: beneath})
		if err != nil {
			return errors.Wrapf(err, "open %s", name)
		}
		defer unix.Close(fd)
		if err := p.walk(fd, ""); err != nil {
			return err
		}
	} else if err := p.entryAt(dirFd, as, name, &st); err != nil {
		return err
	}
	return errors.Wrap(p.tw.Close(), "finish tar")
}
