package utils

import (
	"os"
	"strconv"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// CloseExecFrom marks every descriptor from lowfd up close-on-exec, so a
// program we exec inherits only what we hand it on purpose. Go marks its
// own files close-on-exec already; this catches descriptors inherited
// from whoever ran mydocker.
func CloseExecFrom(lowfd int) error {
	err := unix.CloseRange(uint(lowfd), ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	if err != unix.ENOSYS && err != unix.EINVAL {
		return errors.Wrap(err, "close_range")
	}
	// Kernels before 5.11: walk the descriptor table instead.
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return errors.Wrap(err, "list open descriptors")
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd >= lowfd {
			unix.CloseOnExec(fd)
		}
	}
	return nil
}
