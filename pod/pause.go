package pod

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"

	"github.com/pkg/errors"

	"mydocker/utils"
)

// PausePath is where the pause program is in an infra container, and
// PauseArgs its command line: mydocker-init in its pause mode.
const PausePath = "/pause"

// PauseArgs is the infra container's command.
var PauseArgs = []string{PausePath, "--pause"}

// PauseLayer returns the one layer of every infra container's rootfs: a
// directory holding only the pause program, a copy of mydocker-init
// (reaper, the file beside our binary). No image is needed. The layer is
// named by the program's digest: a running infra container's layer is
// never rewritten under it (overlayfs forbids changing a lower layer in
// use), a new mydocker-init just gets a new layer. The caller holds Lock.
func (s *Store) PauseLayer(reaper string) (string, error) {
	src, err := os.Open(reaper)
	if err != nil {
		return "", errors.Wrap(err, "pause program")
	}
	defer src.Close()
	h := sha256.New()
	if _, err := io.Copy(h, src); err != nil {
		return "", errors.Wrap(err, "read pause program")
	}
	dir := filepath.Join(s.Dir, "pause", hex.EncodeToString(h.Sum(nil))[:16])
	if fi, err := os.Stat(filepath.Join(dir, "pause")); err == nil && fi.Mode().IsRegular() {
		return dir, nil
	}
	// Built aside and renamed into place, so a layer directory that
	// exists is whole even if this process is killed half-way.
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return "", errors.Wrap(err, "pause layer")
	}
	removeStale(filepath.Dir(dir))
	tmp, err := os.MkdirTemp(filepath.Dir(dir), tmpPrefix)
	if err != nil {
		return "", errors.Wrap(err, "pause layer")
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", errors.Wrap(err, "pause layer")
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return "", errors.Wrap(err, "read pause program")
	}
	dst, err := os.OpenFile(filepath.Join(tmp, "pause"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o555)
	if err != nil {
		return "", errors.Wrap(err, "pause layer")
	}
	_, err = io.Copy(dst, src)
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", errors.Wrap(err, "write pause program")
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", errors.Wrap(err, "pause layer")
	}
	return dir, errors.Wrap(utils.SyncDir(filepath.Dir(dir)), "pause layer")
}
