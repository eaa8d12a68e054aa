package container

import (
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/pkg/errors"
	"golang.org/x/sys/unix"

	"mydocker/container/spec"
)

// cp reaches a container's files from the host, where every path a
// container can name is the container's to change at any moment: so a
// path is resolved inside the tree that holds it (the rootfs, or the
// source of a volume or bind mount over it), symlinks and ".." confined
// to that tree by openat2's RESOLVE_IN_ROOT, and what is found is then
// read or written through the directory descriptor, never by name again
// (image.PackEntry, image.Extract).

// FS is a container's file system as cp sees it, valid inside WithFS.
type FS struct {
	rec    *Record
	rootfs string // the overlay's merged directory
}

// WithFS runs fn with container id's file system, under the container's
// lock so it is neither started nor stopped meanwhile. A container that is
// not running has its overlay mounted for the time of fn.
func (s *Store) WithFS(id string, fn func(*FS) error) (err error) {
	lock, err := s.Lock(id)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	rec, err := s.Load(id)
	if err != nil {
		return err
	}
	ws := Workspace{Dir: s.WorkspaceDir(id), InitLayers: InitLayerDir(s.Layout.Root)}
	if !rec.State.Alive() {
		if err := ws.Mount(rec.Layers); err != nil {
			return err
		}
		defer func() {
			if uerr := ws.Unmount(); uerr != nil && err == nil {
				err = uerr
			}
		}()
	}
	err = fn(&FS{rec: rec, rootfs: ws.Merged()})
	return err
}

// Place is where a container path lies on the host: Rel inside the tree
// Root, which Rel cannot leave.
type Place struct {
	Root     string
	Rel      string // relative, "" for Root itself
	ReadOnly bool   // a read-only mount, or the rootfs of --read-only
}

// Locate finds the tree that holds container path p: the mount over it
// with the longest destination (after resolving p's symlinks inside the
// rootfs, as the container would), else the rootfs. A tmpfs exists only
// inside the container and cannot be reached.
func (f *FS) Locate(p string) (Place, error) {
	if !path.IsAbs(p) {
		p = "/" + p
	}
	// Only to pick the tree: the open that follows is confined on its own.
	joined, err := securejoin.SecureJoin(f.rootfs, path.Dir(path.Clean(p)))
	if err != nil {
		return Place{}, errors.Wrapf(err, "resolve %s", p)
	}
	inside := "/" + strings.TrimPrefix(strings.TrimPrefix(joined, f.rootfs), "/")
	inside = path.Join(inside, path.Base(path.Clean(p)))
	if path.Clean(p) == "/" {
		inside = "/"
	}
	mounts := append([]spec.Mount{}, f.rec.Config.Volumes...)
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i].Destination) > len(mounts[j].Destination) })
	for _, m := range mounts {
		dst := path.Clean(m.Destination)
		if inside != dst && !strings.HasPrefix(inside, dst+"/") {
			continue
		}
		if m.Type == spec.MountTmpfs {
			return Place{}, errors.Errorf("%s is on a tmpfs, which only the running container can see", p)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(inside, dst), "/")
		if fi, err := os.Stat(m.Source); err == nil && !fi.IsDir() {
			// A file bound over a file: only that name of its directory.
			if rel != "" {
				return Place{}, errors.Errorf("%s: %s is a file", p, dst)
			}
			return Place{Root: filepath.Dir(m.Source), Rel: filepath.Base(m.Source), ReadOnly: m.ReadOnly}, nil
		}
		return Place{Root: m.Source, Rel: rel, ReadOnly: m.ReadOnly}, nil
	}
	return Place{Root: f.rootfs, Rel: strings.TrimPrefix(inside, "/"), ReadOnly: f.rec.Config.ReadonlyRootfs}, nil
}

// OpenParent opens the directory holding pl (following symlinks on the
// way, inside pl.Root only) and returns it with pl's last name; for the
// root itself, the root and ".".
func (pl Place) OpenParent() (*os.File, string, error) {
	dir, base := path.Split(pl.Rel)
	if pl.Rel == "" {
		dir, base = ".", "."
	}
	f, err := openInRoot(pl.Root, dir, unix.O_DIRECTORY|unix.O_RDONLY)
	return f, base, err
}

// Stat reports whether pl exists and is a directory, following a final
// symlink inside pl.Root as the container would.
func (pl Place) Stat() (exists, isDir bool, err error) {
	f, err := openInRoot(pl.Root, pl.Rel, unix.O_PATH)
	if errors.Is(err, unix.ENOENT) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return false, false, errors.Wrapf(err, "stat %s", f.Name())
	}
	return true, st.Mode&unix.S_IFMT == unix.S_IFDIR, nil
}

// OpenDir opens pl itself as a directory, following symlinks inside
// pl.Root.
func (pl Place) OpenDir() (*os.File, error) {
	return openInRoot(pl.Root, pl.Rel, unix.O_DIRECTORY|unix.O_RDONLY)
}

// openInRoot opens rel inside root with RESOLVE_IN_ROOT: "..", absolute
// symlinks and "/" all stay in root; /proc's magic links are refused.
func openInRoot(root, rel string, flags int) (*os.File, error) {
	rootFd, err := unix.Open(root, unix.O_DIRECTORY|unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, errors.Wrapf(err, "open %s", root)
	}
	defer unix.Close(rootFd)
	if rel == "" {
		rel = "."
	}
	fd, err := unix.Openat2(rootFd, rel, &unix.OpenHow{
		Flags: uint64(flags) | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: "/" + rel, Err: err}
	}
	return os.NewFile(uintptr(fd), filepath.Join(root, rel)), nil
}

// FdPath names an open directory for APIs that take a path (os.OpenRoot):
// the descriptor's own /proc link, which nothing can redirect.
func FdPath(f *os.File) string { return "/proc/self/fd/" + strconv.Itoa(int(f.Fd())) }
