package image

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"

	"mydocker/utils"
)

// The store's temporaries carry their writer in their names,
// <prefix><pid>-<starttime>-<random>: any later command can then tell a
// temporary whose writer died (SIGKILL, OOM, power loss) from one a live
// mydocker is still writing, with no lock every writer would have to share.
// Many mydocker processes commit, import and unpack at once; only the dead
// ones' leftovers are removed.
const (
	// unpackPrefix names, in <root>/layers, a layer being unpacked (or
	// being deleted: a layer is renamed to one before its tree is removed,
	// so a half-deleted layer never looks like a whole one).
	unpackPrefix = "unpack-"
	// incomingPrefix names, in <root>/image, an image tar being written.
	incomingPrefix = ".incoming-"
)

// owner is this process's "<pid>-<starttime>" in temporaries' names.
var owner = sync.OnceValue(func() string {
	return fmt.Sprintf("%d-%d", os.Getpid(), utils.ProcStartTime(os.Getpid()))
})

// tempName returns a fresh temporary name owned by this process.
func tempName(prefix string) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", errors.Wrap(err, "random temp name")
	}
	return prefix + owner() + "-" + hex.EncodeToString(b[:]), nil
}

// Writer returns a temp file in the image dir; Commit renames it into place
// as image name, so a half-written image is never visible. Its name says
// which process writes it, so a writer killed mid-way leaves a file the
// next command removes.
func (s *Store) Writer() (*os.File, error) {
	if err := os.MkdirAll(s.layout.ImageDir(), 0o755); err != nil {
		return nil, errors.Wrap(err, "create image dir")
	}
	s.sweep()
	name, err := tempName(incomingPrefix)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(s.layout.ImageDir(), name+".tar"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	return f, errors.Wrap(err, "create temp image")
}

// Discard closes and removes a file from Writer that was not committed,
// so a failed commit or import leaves nothing in the image dir. After a
// successful Commit the temporary name is gone and Discard does nothing:
// callers defer it right after Writer.
func (s *Store) Discard(f *os.File) {
	f.Close() // already closed by Commit, or about to be thrown away
	if err := os.Remove(f.Name()); err != nil && !os.IsNotExist(err) {
		log.Warnf("remove partial image %s: %v", f.Name(), err)
	}
}

// Commit fsyncs and renames a file from Writer into place as image name.
func (s *Store) Commit(f *os.File, name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return errors.Wrap(err, "fsync image")
	}
	if err := f.Close(); err != nil {
		return errors.Wrap(err, "close image")
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return errors.Wrap(err, "chmod image")
	}
	if err := os.Rename(f.Name(), s.TarPath(name)); err != nil {
		return errors.Wrap(err, "store image")
	}
	return utils.SyncDir(s.layout.ImageDir())
}

// ownerAlive reports whether the process that created the temporary name
// (with prefix) still runs. A name that does not parse is a leftover of an
// older mydocker, which named its temporaries randomly: it counts as dead.
func ownerAlive(name, prefix string) bool {
	parts := strings.SplitN(strings.TrimPrefix(name, prefix), "-", 3)
	if len(parts) != 3 {
		return false
	}
	pid, err := strconv.Atoi(parts[0])
	if err != nil || pid <= 0 {
		return false
	}
	start, err := strconv.ParseUint(parts[1], 10, 64)
	if err != nil {
		return false
	}
	t := utils.ProcStartTime(pid)
	return t != 0 && t == start
}

// sweepDir removes the temporaries with prefix in dir whose writers are gone.
func sweepDir(dir, prefix string) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return errors.Wrapf(err, "read %s", dir)
	}
	var errs []error
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) || ownerAlive(e.Name(), prefix) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		log.Debugf("removing %s, left by a mydocker that died", p)
		if e.IsDir() {
			// Nothing is ever mounted in a layer, but a path under the
			// state root is only deleted once mountinfo says so.
			err = utils.RemoveAllUnmounted(p)
		} else if err = os.Remove(p); os.IsNotExist(err) {
			err = nil // another command swept it first
		}
		if err != nil {
			errs = append(errs, errors.Wrapf(err, "remove stale %s", p))
		}
	}
	return errors.Wrapf(joinErrors(errs), "clean %s", dir)
}

// sweep removes what dead mydocker processes left in the store. Every
// command that touches the store calls it first, so a leftover lasts only
// until the next one. A failure is reported, but does not stop the command
// that merely happened to notice it.
func (s *Store) sweep() {
	if os.Geteuid() != 0 {
		return // root's temporaries, in root's directories: `images` as a user only reads
	}
	for _, d := range []struct{ dir, prefix string }{
		{s.layout.LayerDir(), unpackPrefix},
		{s.layout.ImageDir(), incomingPrefix},
		{s.blobDir(), blobPrefix},
	} {
		if err := sweepDir(d.dir, d.prefix); err != nil {
			log.Warn(err)
		}
	}
}

// joinErrors joins errs into one line, or returns nil for none.
func joinErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return errors.New(strings.Join(msgs, "; "))
}
