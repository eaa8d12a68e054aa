// Package utils holds the small file-system helpers every mydocker package
// leans on: atomic writes, file locks and mount-aware removal.
package utils

import (
	"os"
	"path/filepath"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// WriteFileAtomic replaces path with data so that readers see either the old
// or the new content, never a torn file: write a temp file in the same
// directory, fsync it, rename it over path, then fsync the directory.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return writeFileAtomic(path, data, perm, true)
}

// ReplaceFile replaces path with data as WriteFileAtomic does, for
// readers (they see the old or the new content), but without the two
// fsyncs: for a file that does not have to survive a crash of the
// machine, where each fsync costs a journal commit.
func ReplaceFile(path string, data []byte, perm os.FileMode) error {
	return writeFileAtomic(path, data, perm, false)
}

func writeFileAtomic(path string, data []byte, perm os.FileMode, durable bool) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return errors.Wrapf(err, "create temp file for %s", path)
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return errors.Wrapf(err, "write %s", tmpName)
	}
	if err := tmp.Chmod(perm); err != nil {
		return errors.Wrapf(err, "chmod %s", tmpName)
	}
	if durable {
		if err := tmp.Sync(); err != nil {
			return errors.Wrapf(err, "fsync %s", tmpName)
		}
	}
	if err := tmp.Close(); err != nil {
		return errors.Wrapf(err, "close %s", tmpName)
	}
	if !durable {
		if err := exchange(tmpName, path); err == nil {
			ok = true
			return nil
		} else if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EINVAL) {
			return errors.Wrapf(err, "exchange %s and %s", tmpName, path)
		}
	}
	if err := os.Rename(tmpName, path); err != nil {
		return errors.Wrapf(err, "rename %s to %s", tmpName, path)
	}
	ok = true
	if !durable {
		return nil
	}
	return SyncDir(dir)
}

// exchange puts the file at tmp in place of the one at path, which must
// exist (else ENOENT; EINVAL where the file system cannot exchange), and
// removes the old one. Readers of path see the old or the new file, as
// with a rename over it. A rename over an existing file makes ext4 write
// the new one's data out at once (its auto_da_alloc, for programs that
// rename without fsync); exchanging does not, so a file replaced and then
// deleted within the writeback delay (a --rm container's record) never
// gets disk blocks, and deleting it never waits for a discard.
func exchange(tmp, path string) error {
	if err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_EXCHANGE); err != nil {
		return err
	}
	if err := os.Remove(tmp); err != nil {
		return errors.Wrapf(err, "remove the replaced %s", path)
	}
	return nil
}

// SyncDir fsyncs a directory so a rename or create inside it is durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return errors.Wrapf(err, "open dir %s", dir)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return errors.Wrapf(err, "fsync dir %s", dir)
	}
	return nil
}
