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
