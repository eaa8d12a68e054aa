package container

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/constant"
	"mydocker/trace"
	"mydocker/utils"
)

// Store keeps container records under <root>/containers.
type Store struct {
	Layout constant.Layout
	// CLI is the mydocker program health checks run `exec` with: the
	// monitor is another program (mydocker-monitor), told by its caller
	// (MonitorArgs.CLI). Empty: this program.
	CLI string
}

// NewStore returns the record store of a state root.
func NewStore(root string) *Store { return &Store{Layout: constant.Layout{Root: root}} }

// Dir is the record directory of container id.
func (s *Store) Dir(id string) string { return filepath.Join(s.Layout.ContainerDir(), id) }

// LogPath is the container's log file.
func (s *Store) LogPath(id string) string { return filepath.Join(s.Dir(id), constant.LogName) }

// WorkspaceDir is the container's overlay directory.
func (s *Store) WorkspaceDir(id string) string { return filepath.Join(s.Layout.OverlayDir(), id) }

func (s *Store) configPath(id string) string { return filepath.Join(s.Dir(id), constant.ConfigName) }

// globalLock serialises the rare takeover of a name left behind by a
// mydocker that was killed between claiming it and writing its record.
func (s *Store) globalLock() (*utils.FileLock, error) {
	return utils.Lock(filepath.Join(s.Layout.ContainerDir(), ".lock"))
}

// Lock takes container id's own lock, held while its record is changed or
// its mounts are set up or torn down.
// Locking a container that does not exist (or was removed while we
// waited) fails without leaving a lock file behind.
func (s *Store) Lock(id string) (*utils.FileLock, error) {
	notFound := &NotFoundError{Ref: utils.ShortID(id)}
	// Only a directory entry of the store is a container: "" or ".."
	// would make every path below the whole store, or outside it.
	if id == "" || strings.HasPrefix(id, ".") || strings.ContainsRune(id, '/') {
		return nil, notFound
	}
	if _, err := os.Stat(s.Dir(id)); err != nil {
		return nil, notFound
	}
	path := filepath.Join(s.Layout.ContainerDir(), ".locks", id)
	lock, err := utils.Lock(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(s.Dir(id)); err != nil {
		if rmErr := os.Remove(path); rmErr != nil && !os.IsNotExist(rmErr) {
			log.Warnf("remove stale lock %s: %v", path, rmErr)
		}
		lock.Unlock()
		return nil, notFound
	}
	return lock, nil
}

// Create assigns rec an ID (and a name if it has none) and writes its first
// record. Names are claimed atomically, so two parallel `run --name web`
// cannot both succeed.
func (s *Store) Create(rec *Record) error {
	if err := os.MkdirAll(s.namesDir(), 0o700); err != nil {
		return errors.Wrap(err, "create container dir")
	}
	rec.ID = utils.NewID()
	if err := s.claimRecordName(rec); err != nil {
		return err
	}
	if err := os.Mkdir(s.Dir(rec.ID), 0o700); err != nil {
		s.releaseName(rec.Name, rec.ID)
		return errors.Wrap(err, "create record dir")
	}
	// The reserve comes second, so that this first write cannot use it up.
	err := s.write(rec)
	if err == nil && needsReserve(rec) {
		err = s.Reserve(rec.ID)
	}
	if err == nil {
		err = s.linkShortID(rec.ID) // after the directory it names (shortid.go)
	}
	if err != nil {
		if lerr := s.unlinkShortID(rec.ID); lerr != nil {
			return utils.JoinCleanup(err, "removing the short ID links", lerr)
		}
		if rerr := os.RemoveAll(s.Dir(rec.ID)); rerr != nil {
			return utils.JoinCleanup(err, "removing the half-made record", rerr)
		}
		s.releaseName(rec.Name, rec.ID)
		return err
	}
	return nil
}

// NotFoundError says there is no container Ref (or it was removed while
// we looked at it).
type NotFoundError struct{ Ref string }

func (e *NotFoundError) Error() string { return "no such container: " + e.Ref }

// ExitCode is 1, as Docker's CLI ends for a container that does not
// exist (run and create, which make one, end 125 for their own errors).
func (e *NotFoundError) ExitCode() int { return 1 }

func (s *Store) write(rec *Record) error {
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return errors.Wrap(err, "encode record")
	}
	// A --rm container's record is gone when the container is: made
	// durable, it would only survive a crash of the machine to name a
	// container that is not running, which rm -f cleans up all the same
	// from an unreadable record. Each fsync is a journal commit on the
	// path of run --rm.
	write := utils.WriteFileAtomic
	if rec.Config.AutoRemove {
		write = utils.ReplaceFile
	}
	err = write(s.configPath(rec.ID), data, 0o600)
	if errors.Is(err, unix.ENOSPC) {
		// The container's log may have filled the disk: give back the
		// space kept for this moment, so its exit is still recorded.
		if rerr := os.Remove(s.reservePath(rec.ID)); rerr == nil {
			err = write(s.configPath(rec.ID), data, 0o600)
		}
	}
	return err
}

// reserveSize is disk space kept beside each record, for rewriting the
// record on a disk the container's output has filled.
const reserveSize = 64 << 10

// needsReserve says whether rec's container keeps reserve space. A --rm
// container's exit is never written to its record, which goes at once
// (RecordExit): it needs none, and its start makes and deletes one inode
// and 64 KiB of blocks fewer.
func needsReserve(rec *Record) bool { return !rec.Config.AutoRemove }

func (s *Store) reservePath(id string) string { return filepath.Join(s.Dir(id), ".reserve") }

// Reserve makes sure container id has its reserve space (it is used up
// by a write on a full disk).
func (s *Store) Reserve(id string) error {
	path := s.reservePath(id)
	if fi, err := os.Stat(path); err == nil && fi.Size() >= reserveSize {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return errors.Wrap(err, "reserve space for the container record")
	}
	// fallocate really takes the blocks; a file system without it gets
	// zeros written, which do too.
	// A signal (Go's own preemption signal among them) interrupts a
	// fallocate that has to wait for the disk: it is simply tried again.
	for {
		if err = unix.Fallocate(int(f.Fd()), 0, 0, reserveSize); err != unix.EINTR {
			break
		}
	}
	if errors.Is(err, unix.EOPNOTSUPP) {
		_, err = f.WriteAt(make([]byte, reserveSize), 0)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if rerr := os.Remove(path); rerr != nil && !os.IsNotExist(rerr) {
			log.Debugf("remove %s: %v", path, rerr)
		}
		return errors.Wrap(err, "reserve space for the container record")
	}
	return nil
}

// Save writes rec; the caller holds rec's lock.
func (s *Store) Save(rec *Record) error { return s.write(rec) }

// Update loads container id under its lock, applies fn and saves the result.
func (s *Store) Update(id string, fn func(*Record) error) (*Record, error) {
	lock, err := s.Lock(id)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	rec, err := s.Load(id)
	if err != nil {
		return nil, err
	}
	if err := fn(rec); err != nil {
		return rec, err
	}
	return rec, s.write(rec)
}

// Load reads the record of container id as stored, without reconciling.
func (s *Store) Load(id string) (*Record, error) {
	data, err := os.ReadFile(s.configPath(id))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, &NotFoundError{Ref: utils.ShortID(id)}
		}
		return nil, errors.Wrapf(err, "read record of %s", utils.ShortID(id))
	}
	return decodeRecord(id, data)
}

// List reads every record. A record that cannot be read is returned as a
// CorruptError beside the good ones, so one bad file never hides the rest.
func (s *Store) List() ([]*Record, []error) {
	ids, err := s.ids()
	if err != nil {
		return nil, []error{err}
	}
	var recs []*Record
	var errs []error
	for _, id := range ids {
		rec, err := s.Load(id)
		if err != nil {
			if _, statErr := os.Stat(s.Dir(id)); os.IsNotExist(statErr) {
				continue // removed while we listed
			}
			var corrupt *CorruptError
			if !errors.As(err, &corrupt) {
				err = &CorruptError{ID: id, Err: errors.Cause(err)}
			}
			errs = append(errs, err)
			continue
		}
		recs = append(recs, rec)
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Created.Before(recs[j].Created) })
	return recs, errs
}

func (s *Store) ids() ([]string, error) {
	entries, err := os.ReadDir(s.Layout.ContainerDir())
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrap(err, "read container dir")
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}

// Delete removes the record directory and frees the container's name; the
// caller has already released everything the container held. name may be
// empty when the record could not be read: the names are searched then.
func (s *Store) Delete(id, name string) error {
	if name == "" {
		if entries, err := os.ReadDir(s.namesDir()); err == nil {
			for _, e := range entries {
				if owner, err := os.ReadFile(filepath.Join(s.namesDir(), e.Name())); err == nil && string(owner) == id {
					name = e.Name()
				}
			}
		}
	}
	// The short-ID links go first: a link never outlives its directory,
	// so one found without it was left by a killed rm (shortid.go).
	if err := s.unlinkShortID(id); err != nil {
		return err
	}
	// Nothing is ever mounted here, but the rule holds everywhere: check.
	// The monitor of a container killed an instant ago may still be
	// logging its last output, and rotating the log adds a file as the
	// directory is emptied: empty it again then.
	var err error
	done := trace.Begin(trace.Rm, "rm -rf %s", s.Dir(id))
	defer func() { done(err) }()
	for i := 0; i < 20; i++ {
		if err = utils.RemoveAllUnmounted(s.Dir(id)); !errors.Is(err, unix.ENOTEMPTY) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		return errors.Wrapf(err, "remove record of %s", utils.ShortID(id))
	}
	s.releaseName(name, id)
	if err := os.Remove(filepath.Join(s.Layout.ContainerDir(), ".locks", id)); err != nil && !os.IsNotExist(err) {
		return errors.Wrapf(err, "remove lock of %s", utils.ShortID(id))
	}
	return nil
}

// Get loads container id and reconciles it with the running system.
func (s *Store) Get(id string) (*Record, error) {
	rec, err := s.Load(id)
	if err != nil {
		return nil, err
	}
	return s.Settle(rec), nil
}
