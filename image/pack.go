package image

import (
	"archive/tar"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"

	"mydocker/utils"
)

// Pack writes the tree at dir as a tar stream to w: what a container sees
// at its root. It keeps owners, modes, times, symlinks, hard links and
// device nodes, and does not descend into anything mounted below dir, so
// nothing mounted there (a volume, /proc) is captured: a mount point is
// kept as an empty directory.
func Pack(w io.Writer, dir string) error {
	dir = filepath.Clean(dir)
	points, err := utils.MountsUnder(dir)
	if err != nil {
		return err
	}
	mounted := map[string]bool{}
	for _, p := range points {
		if p != dir {
			mounted[p] = true
		}
	}
	rootFd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return errors.Wrapf(err, "open %s", dir)
	}
	defer unix.Close(rootFd)
	tw := tar.NewWriter(w)
	links := map[[2]uint64]string{} // (dev, ino) of files with several links -> first name
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return errors.Wrapf(err, "walk %s", path)
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return errors.Wrapf(err, "stat %s", path)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if mounted[path] && !d.IsDir() {
			return nil // a file bind-mounted from elsewhere
		}
		var link string
		if fi.Mode()&os.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return errors.Wrapf(err, "readlink %s", path)
			}
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return errors.Wrapf(err, "header for %s", path)
		}
		hdr.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uname, hdr.Gname = "", "" // numeric ids only: the image's users, not the host's
		if fi.Mode().IsRegular() && st.Nlink > 1 {
			key := [2]uint64{st.Dev, st.Ino}
			if first, ok := links[key]; ok {
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			} else {
				links[key] = hdr.Name
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return errors.Wrapf(err, "write %s", hdr.Name)
		}
		if mounted[path] {
			return filepath.SkipDir
		}
		if hdr.Typeflag == tar.TypeReg && hdr.Size > 0 {
			if err := copyBeneath(tw, rootFd, rel, st, hdr.Size); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return errors.Wrap(tw.Close(), "finish tar")
}

// copyBeneath copies the regular file rel under the root directory rootFd
// into w. A running container can swap any path for a symlink between our
// walk and our open; openat2 with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS
// refuses to leave the root or follow any link, and the inode is checked
// against the one walked, so commit never reads a host file.
func copyBeneath(w io.Writer, rootFd int, rel string, walked *syscall.Stat_t, size int64) error {
	fd, err := unix.Openat2(rootFd, rel, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return errors.Wrapf(err, "open %s inside the container", rel)
	}
	f := os.NewFile(uintptr(fd), rel)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return errors.Wrapf(err, "stat %s", rel)
	}
	if st.Ino != walked.Ino || st.Dev != walked.Dev {
		return errors.Errorf("%s changed while it was being committed", rel)
	}
	// Exactly the size in the header: a file growing meanwhile must not
	// break the tar stream.
	if _, err := io.Copy(w, io.LimitReader(f, size)); err != nil {
		return errors.Wrapf(err, "copy %s", rel)
	}
	return nil
}
