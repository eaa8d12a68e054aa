// Package inroot opens a path inside a root directory the way the kernel's
// openat2(RESOLVE_IN_ROOT) resolves it: symlinks and ".." are followed as
// if the root were /, never out of it.
package inroot

import (
	"os"
	"path/filepath"
	"runtime"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// maxRetries bounds the lookups retried after EAGAIN or EXDEV: the kernel
// gives those when ".." met a rename or mount anywhere on the machine
// during the walk, which someone can cause on purpose to keep us looking.
const maxRetries = 128

// Open returns an O_PATH handle on p inside root: symlinks and ".." are
// followed as if root were /, never out of it, and no magic link (a
// /proc/<pid>/root, /proc/self/fd/N) is followed at all.
//
// It is the lookup pathrs.OpenatInRoot makes on a kernel with openat2
// (Linux 5.6), where pathrs never falls back to anything else. pathrs then
// reads the handle's path back through a private procfs it mounts once
// per process, only to name the file; that cost each exec and each start's
// init about half a millisecond here. Without openat2 (ENOSYS, or EPERM
// from a seccomp filter that refuses it), pathrs's own resolver does the
// lookup.
func Open(root *os.File, p string) (*os.File, error) {
	how := unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	name := filepath.Join(root.Name(), p)
	for tries := 0; ; tries++ {
		fd, err := unix.Openat2(int(root.Fd()), p, &how)
		runtime.KeepAlive(root)
		switch {
		case err == nil:
			return os.NewFile(uintptr(fd), name), nil
		case err == unix.ENOSYS || err == unix.EPERM:
			return pathrs.OpenatInRoot(root, p)
		case (err == unix.EAGAIN || err == unix.EXDEV) && tries < maxRetries:
			continue
		default:
			return nil, &os.PathError{Op: "openat2", Path: name, Err: err}
		}
	}
}
