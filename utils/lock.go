package utils

import (
	"os"
	"path/filepath"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// FileLock is a flock(2) on a lock file. The kernel drops it when
// the holder dies, so a SIGKILLed mydocker never leaves a stale lock.
type FileLock struct{ f *os.File }

// Lock takes an exclusive lock on path, creating the file and its directory
// if needed, and blocks until the lock is free.
func Lock(path string) (*FileLock, error) { return lock(path, unix.LOCK_EX) }

// RLock takes a shared lock on path: many holders at once, none while
// someone holds Lock.
func RLock(path string) (*FileLock, error) { return lock(path, unix.LOCK_SH) }

func lock(path string, how int) (*FileLock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, errors.Wrapf(err, "create lock dir for %s", path)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, errors.Wrapf(err, "open lock %s", path)
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, errors.Wrapf(err, "lock %s", path)
	}
	return &FileLock{f: f}, nil
}

// Unlock releases the lock. Calling it on a nil lock is a no-op so callers
// can defer it unconditionally.
func (l *FileLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return errors.Wrap(err, "release lock")
}
