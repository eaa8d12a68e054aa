package container

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// InsideName is the companion program that every process of ours that
// enters a container runs as (init, and the exec stub): mydocker built
// from ./cmd/mydocker-inside with only the packages used inside
// (container/inside and what it imports). It is installed beside
// mydocker. Its Go runtime starts in about a third of the time the whole
// CLI's does (no registry, YAML, Kubernetes or CLI packages to
// initialise), and it starts on every run and exec. Without it, mydocker
// runs itself in its place, which works the same, only slower.
const InsideName = "mydocker-inside"

// InsidePath is the file init and the exec stub are started from: the
// companion beside our binary, or /proc/self/exe, our binary.
var InsidePath = sync.OnceValue(func() string {
	if p, ok := BesideSelf(InsideName); ok {
		return p
	}
	return "/proc/self/exe"
})

// BesideSelf is the path of program name in the directory of our own
// binary, where make install puts mydocker's programs, and whether a
// regular file is there.
func BesideSelf(name string) (string, bool) {
	self, err := os.Executable()
	if err != nil {
		return "", false
	}
	p := filepath.Join(filepath.Dir(self), name)
	st, err := os.Stat(p)
	return p, err == nil && st.Mode().IsRegular()
}

// SealedSelf is a view of the program that enters containers
// (InsidePath) that cannot be written through.
//
// A process running inside a container has a /proc/<pid>/exe the
// container can reach, if only for the moment before it execs the user's
// command, or when that command is a script whose interpreter is
// "#!/proc/self/exe" (CVE-2019-5736). Through it the container could open
// the binary and, once it is no longer busy, write to it: the host's next
// mydocker would run the container's code as root. Such a process must
// only ever point at a file no one can open for writing.
//
// The cheap way is the binary itself on a detached read-only bind mount:
// a mount in no namespace, so nothing in a container can find it, remount
// it or reach the file through another mount; every open for writing
// through /proc/<pid>/exe or a descriptor reopened from it fails with
// EROFS. Where the kernel refuses (before 5.12, or without CAP_SYS_ADMIN
// as in a rootless setup) it is a memfd copy sealed against every write,
// shrink and grow, as runc does; that costs ~2 ms for our binary.
type SealedSelf struct {
	f *os.File
}

// Inside is the read-only view of InsidePath this process starts init
// and exec stubs from, made on first use and kept: a monitor restarting
// its container after mydocker was upgraded on disk must go on starting
// the companion of its own build, which the view still shows, not the
// new one beside the new binary (it would refuse the old build's
// config). The view is never closed: it is one descriptor, close-on-exec.
// A failure is not kept: a monitor whose first open failed (out of
// descriptors, say) tries again at its container's next restart.
func Inside() (*SealedSelf, error) {
	inside.Lock()
	defer inside.Unlock()
	if inside.view != nil {
		return inside.view, nil
	}
	view, err := openInside()
	if err != nil {
		return nil, err
	}
	inside.view = view
	return view, nil
}

var inside struct {
	sync.Mutex
	view *SealedSelf
}

// insideView is the descriptor of the view Inside keeps, nil before the
// first call: a monitor hands it to the fresh image of itself it execs,
// so that a restart after an upgrade on disk still starts its own build.
func insideView() *os.File {
	inside.Lock()
	defer inside.Unlock()
	if inside.view == nil {
		return nil
	}
	return inside.view.f
}

// adoptInside makes f, the view this process inherited from the image it
// exec'd from, the one Inside returns.
func adoptInside(f *os.File) {
	inside.Lock()
	defer inside.Unlock()
	inside.view = &SealedSelf{f: f}
}

// adoptInsideIfNone makes f, a view of InsidePath made by package
// prestart, the one Inside returns, unless Inside has one already.
func adoptInsideIfNone(f *os.File) {
	inside.Lock()
	defer inside.Unlock()
	if inside.view != nil {
		f.Close()
		return
	}
	inside.view = &SealedSelf{f: f}
}

// openInside opens the view for Inside; tests make it fail.
var openInside = OpenSealedSelf

// OpenSealedSelf makes a new read-only view of InsidePath.
func OpenSealedSelf() (*SealedSelf, error) { return openSealed(InsidePath()) }

// OpenExecStub makes a read-only view of mydocker-init, which exec starts
// as its stub (`mydocker-init nsexec`, container/nsenter). The stub runs
// among the container's processes until it execs the command, so its
// program, as init's, must be a file no one can write through.
func OpenExecStub() (*SealedSelf, error) {
	path, err := ReaperPath()
	if err != nil {
		return nil, err
	}
	return openSealed(path)
}

// openSealed makes a new read-only view of the program at path.
func openSealed(path string) (*SealedSelf, error) {
	f, err := readOnlyView(path)
	if err == nil {
		return &SealedSelf{f: f}, nil
	}
	log.Debugf("read-only mount of %s refused (%v): using a sealed copy", path, err)
	if f, err = sealedCopyOf(path); err != nil {
		return nil, err
	}
	return &SealedSelf{f: f}, nil
}

// readOnlyView clones the mount holding path, rooted at the file itself,
// detached from every mount namespace, and makes it read-only. The mount
// lives as long as a descriptor or a process's executable refers to it.
func readOnlyView(path string) (*os.File, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return nil, errors.Wrap(err, "open_tree")
	}
	f := os.NewFile(uintptr(fd), "mydocker-ro")
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, attr); err != nil {
		f.Close()
		return nil, errors.Wrap(err, "mount_setattr read-only")
	}
	return f, nil
}

// sealedCopyOf copies the binary at path into a new sealed memfd.
func sealedCopyOf(path string) (*os.File, error) {
	src, err := os.Open(path)
	if err != nil {
		return nil, errors.Wrap(err, "open mydocker binary")
	}
	defer src.Close()
	fd, err := unix.MemfdCreate("mydocker", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC)
	if err == unix.EINVAL {
		// Kernels before 6.3 know no MFD_EXEC: their memfds are executable.
		fd, err = unix.MemfdCreate("mydocker", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if err != nil {
		return nil, errors.Wrap(err, "memfd for sealed mydocker binary")
	}
	dst := os.NewFile(uintptr(fd), "mydocker-sealed")
	if err := copyFile(dst, src); err != nil {
		dst.Close()
		return nil, err
	}
	// F_SEAL_SEAL last, so no one can lift or add seals afterwards.
	const seals = unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_SEAL
	if _, err := unix.FcntlInt(dst.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		dst.Close()
		return nil, errors.Wrap(err, "seal mydocker binary copy")
	}
	return dst, nil
}

// copyFile copies src to dst with sendfile: io.Copy would try
// copy_file_range (refused between file systems) and fall back to 32 KiB
// reads and writes through user space, several times slower.
func copyFile(dst, src *os.File) error {
	st, err := src.Stat()
	if err != nil {
		return errors.Wrap(err, "stat mydocker binary")
	}
	for left := st.Size(); left > 0; {
		n, err := unix.Sendfile(int(dst.Fd()), int(src.Fd()), nil, int(left))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return errors.Wrap(err, "copy mydocker binary to memfd")
		}
		if n == 0 {
			return errors.New("copy mydocker binary to memfd: binary shrank while copying")
		}
		left -= int64(n)
	}
	return nil
}

// Path names the copy for exec.Cmd. It goes through this process's fd
// table, not the child's: the child rearranges its descriptors before it
// execs and could land one on our number, and it does not inherit ours
// (close-on-exec) anyway. We are alive and its parent while it execs.
func (s *SealedSelf) Path() string {
	return fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), s.f.Fd())
}

// Close drops our reference once the children have exec'd it (they keep
// it alive as their executable).
func (s *SealedSelf) Close() error { return s.f.Close() }
