package confine

import (
	"runtime"
	"unsafe"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// Filter is the default seccomp filter for a process keeping the
// capabilities Caps, assembled on the host (package profile).
type Filter struct {
	Prog []unix.SockFilter
	Caps uint64
}

// install loads the filter on the calling thread; the command exec'd from
// it keeps it. No
// no_new_privs: the thread still holds CAP_SYS_ADMIN, so the kernel
// allows the filter without it, and setuid programs in the image keep
// working as in Docker.
func (f *Filter) install() error {
	if len(f.Prog) == 0 {
		return errors.New("install seccomp filter: an empty filter")
	}
	fprog := unix.SockFprog{Len: uint16(len(f.Prog)), Filter: &f.Prog[0]}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(f.Prog)
	if errno != 0 {
		return errors.Wrap(errno, "install seccomp filter")
	}
	return nil
}
