package container

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"

	"mydocker/utils"
)

// namesDir holds one file per container name, containing the ID. Creating
// it with O_EXCL is what makes a name unique, without a store-wide lock
// or reading every record, and it makes resolving a name one read.
func (s *Store) namesDir() string { return filepath.Join(s.Layout.ContainerDir(), ".names") }

// ValidateName checks a container name as Docker does.
func ValidateName(name string) error {
	if !utils.IsName(name) || len(name) > 128 {
		return errors.Errorf("invalid container name %q: use [a-zA-Z0-9][a-zA-Z0-9_.-]*", name)
	}
	return nil
}

// NameInUseError refuses a name another container has.
type NameInUseError struct{ Name string }

func (e *NameInUseError) Error() string {
	return fmt.Sprintf("container name %q is already in use", e.Name)
}

// claimRecordName claims rec.Name for rec.ID or, without a name, the
// first free generated one.
func (s *Store) claimRecordName(rec *Record) error {
	if rec.Name != "" {
		return s.claimName(rec.Name, rec.ID)
	}
	base := generateName(rec.ID)
	for i := 1; ; i++ {
		name := base
		if i > 1 {
			name = base + strconv.Itoa(i)
		}
		err := s.claimName(name, rec.ID)
		if err == nil {
			rec.Name = name
			return nil
		}
		var inUse *NameInUseError
		if !errors.As(err, &inUse) || i > 1000 {
			return err
		}
	}
}

// claimName makes name container id's. A name whose owner has no record
// (its mydocker was killed mid-way) is taken over, under the store lock
// so that two takeovers cannot both win.
func (s *Store) claimName(name, id string) error {
	path := filepath.Join(s.namesDir(), name)
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, werr := f.WriteString(id)
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				// An empty or torn claim (disk full) must not keep the name.
				return utils.JoinCleanup(errors.Wrapf(werr, "claim name %s", name), "removing the claim", os.Remove(path))
			}
			return nil
		}
		if !os.IsExist(err) {
			return errors.Wrapf(err, "claim name %s", name)
		}
		if attempt > 0 || !s.staleName(name) {
			break
		}
	}
	return &NameInUseError{Name: name}
}

// staleName removes name if its owner's record does not exist, and says
// whether it did.
func (s *Store) staleName(name string) bool {
	// A name held by a live container is the common case (generated names
	// clash more often as containers accumulate, each clash one more
	// try): answered without the store lock, so parallel runs do not
	// queue on it. Only a name that looks stale is checked again under
	// the lock before it is taken over.
	if live, _ := s.nameLive(name); live {
		return false
	}
	lock, err := s.globalLock()
	if err != nil {
		return false
	}
	defer lock.Unlock()
	live, err := s.nameLive(name)
	if err != nil {
		return os.IsNotExist(err)
	}
	if live {
		return false
	}
	// The owner wrote its name (or part of it) and died before (or after
	// removing) its record. A Create that claimed the name an instant ago
	// has not made its directory yet, or even written its ID, so only
	// names older than a minute are taken.
	if fi, err := os.Stat(filepath.Join(s.namesDir(), name)); err != nil || time.Since(fi.ModTime()) < time.Minute {
		return false
	}
	return os.Remove(filepath.Join(s.namesDir(), name)) == nil
}

// nameLive says whether name's owner has a record; the error is the
// claim file's, if it could not be read.
func (s *Store) nameLive(name string) (bool, error) {
	owner, err := os.ReadFile(filepath.Join(s.namesDir(), name))
	if err != nil {
		return false, err
	}
	if !ValidID(string(owner)) {
		return false, nil
	}
	_, err = os.Stat(s.Dir(string(owner)))
	return err == nil, nil
}

// releaseName frees name if container id holds it.
func (s *Store) releaseName(name, id string) {
	if name == "" || strings.ContainsRune(name, '/') {
		return
	}
	path := filepath.Join(s.namesDir(), name)
	if owner, err := os.ReadFile(path); err == nil && string(owner) == id {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			log.Warnf("release name %s: %v", name, err)
		}
	}
}

// nameOwner returns the ID holding name, if any.
func (s *Store) nameOwner(name string) (string, bool) {
	if !utils.IsName(name) {
		return "", false
	}
	owner, err := os.ReadFile(filepath.Join(s.namesDir(), name))
	// A claim that is not an ID (empty: the disk filled up while it was
	// written) names no container; s.Dir("") would be every container's.
	if err != nil || !ValidID(string(owner)) {
		return "", false
	}
	if _, err := os.Stat(s.Dir(string(owner))); err != nil {
		return "", false
	}
	return string(owner), true
}

// Resolve finds the container a user means by ref: a full ID, a name, or a
// unique ID prefix, in that order (as Docker resolves them).
func (s *Store) Resolve(ref string) (string, error) {
	if ref == "" {
		return "", errors.New("empty container reference")
	}
	if len(ref) == 64 && !strings.ContainsRune(ref, '/') {
		if _, err := os.Stat(s.Dir(ref)); err == nil {
			return ref, nil
		}
	}
	if id, ok := s.nameOwner(ref); ok {
		return id, nil
	}
	ids, err := s.ids()
	if err != nil {
		return "", err
	}
	var prefixed []string
	for _, id := range ids {
		if strings.HasPrefix(id, ref) {
			prefixed = append(prefixed, id)
		}
	}
	switch len(prefixed) {
	case 0:
		return "", &NotFoundError{Ref: ref}
	case 1:
		return prefixed[0], nil
	}
	short := make([]string, len(prefixed))
	for i, id := range prefixed {
		short[i] = utils.ShortID(id)
	}
	return "", errors.Errorf("container reference %q is ambiguous: matches %s", ref, strings.Join(short, ", "))
}

var adjectives = []string{"brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "keen", "lucid", "merry", "nifty", "proud", "quirky", "serene", "sharp", "stoic", "tender", "vivid", "witty", "zealous"}
var nouns = []string{"babbage", "curie", "darwin", "euler", "fermi", "gauss", "hopper", "kepler", "lovelace", "mayer", "newton", "noether", "pascal", "ritchie", "shannon", "tesla", "thompson", "turing", "wozniak", "yalow"}

// generateName picks a Docker-style adjective_noun name from the ID's bits;
// Create adds a digit suffix while it clashes.
func generateName(id string) string {
	n, _ := strconv.ParseUint(id[:8], 16, 64)
	return adjectives[n%uint64(len(adjectives))] + "_" + nouns[(n/uint64(len(adjectives)))%uint64(len(nouns))]
}

// GenerateName is a Docker-style name for ID id, for things named like
// containers (pods); the caller checks it is free.
func GenerateName(id string) string { return generateName(id) }
