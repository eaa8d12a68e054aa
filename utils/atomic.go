// Package utils holds the small file-system helpers every mydocker package
// leans on: atomic writes, file locks and mount-aware removal.
package utils

import (
	"os"
	"path/filepath"

	"github.com/pkg/errors"
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
	if err := os.Rename(tmpName, path); err != nil {
		return errors.Wrapf(err, "rename %s to %s", tmpName, path)
	}
	ok = true
	if !durable {
		return nil
	}
	return SyncDir(dir)
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
