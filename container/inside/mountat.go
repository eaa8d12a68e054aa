package inside

import (
	stderrors "errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/pkg/errors"
	"golang.org/x/sys/unix"

	"mydocker/container/inroot"
)

// Every path init touches inside a rootfs comes from the image (or from a
// volume another container may be writing to), so it may contain symlinks
// meant to lead out to the host: an image whose /dev links to /etc would
// otherwise get device nodes made in the host's /etc. So nothing here
// passes a joined path string to the kernel. A path is resolved inside
// the root into an O_PATH handle (symlinks followed as if the root were
// /, never out of it), and the mount goes onto that handle, through
// /proc/self/fd/N or move_mount: a symlink swapped in after the lookup
// cannot redirect it.

// inRoot is an open root directory that paths are resolved under.
type inRoot struct {
	f    *os.File
	path string // the root as the calling process sees it, for messages and lexical joins
}

func openRoot(path string) (*inRoot, error) {
	f, err := os.OpenFile(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, errors.Wrapf(err, "open root %s", path)
	}
	return &inRoot{f: f, path: path}, nil
}

func (r *inRoot) Close() error { return r.f.Close() }

// mkdirAll makes the directory p inside the root, with its parents, and
// returns a handle on it. Symlinks in p are followed inside the root.
func (r *inRoot) mkdirAll(p string) (*os.File, error) {
	d, err := pathrs.MkdirAllHandle(r.f, p, 0o755)
	if err != nil {
		// A dangling symlink (/data -> /srv/data, /srv/data missing):
		// create what it names, resolved inside the root.
		rel, rerr := r.lexical(p)
		if rerr != nil || rel == strings.TrimPrefix(filepath.Clean("/"+p), "/") {
			return nil, err
		}
		d, err = pathrs.MkdirAllHandle(r.f, rel, 0o755)
	}
	if err != nil {
		return nil, err
	}
	return r.notRoot(d)
}

// mkfile makes sure a file exists at p inside the root, with its parent
// directories, and returns a handle on it. An existing file of any type is
// used as it is (never opened for reading or writing: it may be a fifo).
func (r *inRoot) mkfile(p string) (*os.File, error) {
	f, err := inroot.Open(r.f, p)
	if err == nil {
		return r.notRoot(f)
	}
	if !errors.Is(err, unix.ENOENT) {
		return nil, err
	}
	// Missing, or a dangling symlink: create what p names inside the root.
	rel, err := r.lexical(p)
	if err != nil {
		return nil, err
	}
	if rel == "" {
		return nil, errors.New("it resolves to the container's root")
	}
	parent, err := pathrs.MkdirAllHandle(r.f, filepath.Dir(rel), 0o755)
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	fd, err := unix.Openat(int(parent.Fd()), filepath.Base(rel), unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if err != nil && err != unix.EEXIST {
		return nil, err
	}
	if err == nil {
		unix.Close(fd)
	}
	if f, err = inroot.Open(r.f, rel); err != nil {
		return nil, err
	}
	return r.notRoot(f)
}

// lexical resolves p inside the root as securejoin does, to name what
// must be created; its result is only ever opened through the handle.
func (r *inRoot) lexical(p string) (string, error) {
	full, err := securejoin.SecureJoin(r.path, p)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(r.path, full)
	if err != nil || rel == "." {
		return "", err
	}
	return rel, nil
}

// notRoot returns f unless it is the root itself (then it closes it):
// nothing may be mounted over the root, or the container's / would become
// the mount's source.
func (r *inRoot) notRoot(f *os.File) (*os.File, error) {
	var a, b unix.Stat_t
	err := unix.Fstat(int(r.f.Fd()), &a)
	if err == nil {
		err = unix.Fstat(int(f.Fd()), &b)
	}
	if err == nil && a.Dev == b.Dev && a.Ino == b.Ino {
		err = errors.New("it resolves to the container's root")
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// errSymlink says an image put a symlink where the kernel's file systems go.
var errSymlink = stderrors.New("is a symlink")

// openNoSymlinks opens p inside the root refusing any symlink on the way,
// for the places the kernel's file systems are mounted (/proc, /sys, /dev
// and what is under them) and the masked paths: those are real directories
// in every image, and following a link there (say /proc -> ..) could mount
// procfs over the root itself. p must be absolute and clean. With mkdir,
// missing directories are made.
func (r *inRoot) openNoSymlinks(p string, mkdir bool) (*os.File, error) {
	cur, err := unix.Dup(int(r.f.Fd()))
	if err != nil {
		return nil, err
	}
	parts := strings.Split(strings.Trim(p, "/"), "/")
	for i, name := range parts {
		flags := unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC
		last := i == len(parts)-1
		if !last {
			flags |= unix.O_DIRECTORY
		}
		next, err := unix.Openat(cur, name, flags, 0)
		if err == unix.ENOENT && mkdir {
			if err = unix.Mkdirat(cur, name, 0o755); err == nil || err == unix.EEXIST {
				next, err = unix.Openat(cur, name, flags, 0)
			}
		}
		if err == unix.ENOTDIR || err == unix.ELOOP {
			var st unix.Stat_t
			if unix.Fstatat(cur, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
				err = errSymlink
			}
		}
		unix.Close(cur)
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: "/" + strings.Join(parts[:i+1], "/"), Err: err}
		}
		cur = next
	}
	f := os.NewFile(uintptr(cur), p)
	var st unix.Stat_t
	if err := unix.Fstat(cur, &st); err != nil {
		f.Close()
		return nil, err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: p, Err: errSymlink}
	}
	return f, nil
}

// fdPath names an open file for calls that take a path (mount(2)): the
// kernel follows the magic link to the very file the handle holds.
func fdPath(f *os.File) string {
	return "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
}

// mountAt mounts a new file system instance on the handle target.
func mountAt(source string, target *os.File, fstype string, flags uintptr, data string) error {
	return unix.Mount(source, fdPath(target), fstype, flags, data)
}

// bindAt binds the tree at srcDir/src (src "" for srcDir itself; srcDir
// AT_FDCWD for a host path) onto the handle target, read-only if asked.
// The copy is made read-only before it is attached, so the container
// never sees it writable, and it is attached by handle with move_mount.
func bindAt(srcDir int, src string, target *os.File, ro bool) error {
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC | unix.AT_RECURSIVE)
	if src == "" {
		flags |= unix.AT_EMPTY_PATH
	}
	tree, err := unix.OpenTree(srcDir, src, flags)
	if err != nil {
		return errors.Wrap(kernelTooOld(err), "open_tree")
	}
	defer unix.Close(tree)
	if ro {
		attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
		if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, attr); err != nil {
			return errors.Wrap(kernelTooOld(err), "make read-only")
		}
	}
	err = unix.MoveMount(tree, "", int(target.Fd()), "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
	return errors.Wrap(err, "move_mount")
}

func kernelTooOld(err error) error {
	if err == unix.ENOSYS {
		return errors.New("needs Linux 5.12 or later (open_tree, mount_setattr)")
	}
	return err
}
