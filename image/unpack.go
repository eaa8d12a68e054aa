package image

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// Unpack extracts the tar stream r into dest, an empty directory the caller
// owns. Every entry lands inside dest: names are cleaned and rooted, a name
// with ".." that climbs out is refused, no entry is written through a
// symlink, and hard links must point at an earlier entry inside dest.
func Unpack(r io.Reader, dest string) error {
	tr := tar.NewReader(r)
	type dirTime struct {
		path  string
		mtime time.Time
	}
	var dirs []dirTime
	// A layer whose archive has no "./" entry gets Docker's default for /,
	// not the private mode of the temp directory it is unpacked into.
	if err := os.Chmod(dest, 0o755); err != nil {
		return errors.Wrap(err, "chmod rootfs")
	}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return errors.Wrap(err, "read tar")
		}
		rel, err := entryPath(hdr.Name)
		if err != nil {
			return err
		}
		if rel == "" { // the archive's "./" itself
			if hdr.Typeflag == tar.TypeDir {
				if err := os.Chmod(dest, os.FileMode(hdr.Mode)&os.ModePerm); err != nil {
					return errors.Wrap(err, "chmod rootfs")
				}
			}
			continue
		}
		target := filepath.Join(dest, rel)
		if err := checkParents(dest, rel); err != nil {
			return err
		}
		if err := removeExisting(target, hdr.Typeflag == tar.TypeDir); err != nil {
			return err
		}
		mode := os.FileMode(hdr.Mode) & (os.ModePerm | os.ModeSetuid | os.ModeSetgid | os.ModeSticky)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.Mkdir(target, 0o755); err != nil && !os.IsExist(err) {
				return errors.Wrapf(err, "create dir %s", hdr.Name)
			}
			dirs = append(dirs, dirTime{target, hdr.ModTime})
		case tar.TypeReg, tar.TypeRegA:
			if err := writeFile(target, tr); err != nil {
				return errors.Wrapf(err, "extract %s", hdr.Name)
			}
		case tar.TypeSymlink:
			// The link's target is interpreted inside the container's root at
			// run time; it is never followed while unpacking.
			if err := os.Symlink(hdr.Linkname, target); err != nil {
				return errors.Wrapf(err, "create symlink %s", hdr.Name)
			}
		case tar.TypeLink:
			linkRel, err := entryPath(hdr.Linkname)
			if err != nil || linkRel == "" {
				return errors.Errorf("hard link %s points outside the image: %s", hdr.Name, hdr.Linkname)
			}
			if err := checkParents(dest, linkRel); err != nil {
				return err
			}
			src := filepath.Join(dest, linkRel)
			fi, err := os.Lstat(src)
			if err != nil {
				return errors.Wrapf(err, "hard link %s: target %s", hdr.Name, hdr.Linkname)
			}
			if !fi.Mode().IsRegular() {
				return errors.Errorf("hard link %s points at a non-regular file %s", hdr.Name, hdr.Linkname)
			}
			if err := os.Link(src, target); err != nil {
				return errors.Wrapf(err, "create hard link %s", hdr.Name)
			}
			continue // a hard link shares its target's metadata
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			kind := uint32(unix.S_IFIFO)
			if hdr.Typeflag == tar.TypeChar {
				kind = unix.S_IFCHR
			} else if hdr.Typeflag == tar.TypeBlock {
				kind = unix.S_IFBLK
			}
			dev := int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
			if err := unix.Mknod(target, kind|uint32(mode.Perm()), dev); err != nil {
				return errors.Wrapf(err, "create device %s", hdr.Name)
			}
		case tar.TypeXGlobalHeader:
			continue
		default:
			return errors.Errorf("unsupported tar entry %s (type %q)", hdr.Name, hdr.Typeflag)
		}
		if err := os.Lchown(target, hdr.Uid, hdr.Gid); err != nil {
			return errors.Wrapf(err, "chown %s", hdr.Name)
		}
		if hdr.Typeflag != tar.TypeSymlink {
			// chmod after chown: chown clears setuid bits.
			if err := os.Chmod(target, mode); err != nil {
				return errors.Wrapf(err, "chmod %s", hdr.Name)
			}
		}
		if hdr.Typeflag != tar.TypeDir {
			ts := []unix.Timespec{unix.NsecToTimespec(hdr.ModTime.UnixNano()), unix.NsecToTimespec(hdr.ModTime.UnixNano())}
			if err := unix.UtimesNanoAt(unix.AT_FDCWD, target, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return errors.Wrapf(err, "set time of %s", hdr.Name)
			}
		}
	}
	// Directory times last, since creating entries inside them changed them.
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chtimes(dirs[i].path, dirs[i].mtime, dirs[i].mtime); err != nil {
			return errors.Wrapf(err, "set time of %s", dirs[i].path)
		}
	}
	return nil
}

// entryPath turns a tar name into a clean path relative to the layer root.
// Leading "/" is dropped (as Docker does); a name that climbs above the
// root with ".." is refused.
func entryPath(name string) (string, error) {
	if strings.ContainsRune(name, 0) {
		return "", errors.Errorf("tar entry name %q contains NUL", name)
	}
	clean := filepath.Clean("/" + name)
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", errors.Errorf("tar entry %q climbs out of the image with ..", name)
		}
	}
	return strings.TrimPrefix(clean, "/"), nil
}

// checkParents refuses an entry whose parent directories pass through a
// symlink: writing there could land outside dest.
func checkParents(dest, rel string) error {
	dir := dest
	parts := strings.Split(filepath.Dir(rel), "/")
	for _, part := range parts {
		if part == "." || part == "" {
			continue
		}
		dir = filepath.Join(dir, part)
		fi, err := os.Lstat(dir)
		if os.IsNotExist(err) {
			// Tars may omit parent entries; create them as plain directories.
			if err := os.Mkdir(dir, 0o755); err != nil {
				return errors.Wrapf(err, "create parent %s", dir)
			}
			continue
		}
		if err != nil {
			return errors.Wrapf(err, "stat %s", dir)
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return errors.Errorf("tar entry %q goes through symlink %s", rel, strings.TrimPrefix(dir, dest))
		}
		if !fi.IsDir() {
			return errors.Errorf("tar entry %q: parent %s is not a directory", rel, strings.TrimPrefix(dir, dest))
		}
	}
	return nil
}

// removeExisting clears the way for an entry that replaces an earlier one
// (later entries win, as in tar). A directory replacing a directory is kept.
func removeExisting(target string, isDir bool) error {
	fi, err := os.Lstat(target)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return errors.Wrapf(err, "stat %s", target)
	}
	if isDir && fi.IsDir() {
		return nil
	}
	if fi.IsDir() {
		return errors.Wrapf(os.RemoveAll(target), "replace %s", target)
	}
	return errors.Wrapf(os.Remove(target), "replace %s", target)
}

func writeFile(target string, r io.Reader) error {
	// O_EXCL|O_NOFOLLOW: never write through whatever might sit at target.
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
