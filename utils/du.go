package utils

import (
	"io/fs"
	"path/filepath"
	"syscall"

	"github.com/pkg/errors"
)

// DirSize is the apparent size of everything under dir (files' lengths,
// symlinks' targets' lengths), a file with several links counted once,
// as Docker sizes layers. Symlinks are not followed. A missing dir is 0.
func DirSize(dir string) (int64, error) {
	seen := map[[2]uint64]bool{}
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir && errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipAll
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while we walked
			}
			return err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
			key := [2]uint64{uint64(st.Dev), st.Ino}
			if seen[key] {
				return nil
			}
			seen[key] = true
		}
		total += fi.Size()
		return nil
	})
	return total, errors.Wrapf(err, "size of %s", dir)
}
