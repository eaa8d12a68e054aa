package container

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/cgroups"
	"mydocker/constant"
	"mydocker/container/security"
	"mydocker/container/spec"
	"mydocker/network"
	"mydocker/utils"
)

// Container states, as Docker names them.
const (
	StatusCreated = "created"
	StatusRunning = "running"
	StatusExited  = "exited"
)

// Config is what the user asked for; it does not change after creation.
type Config struct {
	Cmd         []string              `json:"Cmd"`
	Env         []string              `json:"Env"`
	WorkingDir  string                `json:"WorkingDir"`
	Hostname    string                `json:"Hostname"`
	Tty         bool                  `json:"Tty"`
	OpenStdin   bool                  `json:"OpenStdin"`
	AutoRemove  bool                  `json:"AutoRemove"`
	Volumes     []spec.Mount          `json:"Volumes"`
	Resources   cgroups.Resources     `json:"Resources"`
	Network     string                `json:"Network,omitempty"`
	Ports       []network.PortMapping `json:"Ports,omitempty"`
	CapAdd      []string              `json:"CapAdd,omitempty"`
	CapDrop     []string              `json:"CapDrop,omitempty"`
	Privileged  bool                  `json:"Privileged,omitempty"`
	SecurityOpt []string              `json:"SecurityOpt,omitempty"`
	Log         LogOptions            `json:"LogConfig"`
}

// Security derives how the container's processes are confined.
func (c *Config) Security() (security.Security, error) {
	caps, err := security.Capabilities(c.CapAdd, c.CapDrop, c.Privileged)
	if err != nil {
		return security.Security{}, err
	}
	sec := security.Security{Capabilities: caps, Seccomp: !c.Privileged, MaskPaths: !c.Privileged, Privileged: c.Privileged}
	for _, opt := range c.SecurityOpt {
		switch opt {
		case "seccomp=unconfined", "seccomp:unconfined":
			sec.Seccomp = false
		default:
			return security.Security{}, errors.Errorf("invalid --security-opt %q: supported is seccomp=unconfined", opt)
		}
	}
	return sec, nil
}

// State is what the container is doing now.
type State struct {
	Status       string `json:"Status"`
	Pid          int    `json:"Pid"`
	PidStartTime uint64 `json:"PidStartTime,omitempty"` // /proc/<pid>/stat starttime, tells pid reuse apart
	MonitorPid   int    `json:"MonitorPid,omitempty"`
	// MonitorStartTime tells the monitor apart from a process reusing its pid.
	MonitorStartTime uint64    `json:"MonitorStartTime,omitempty"`
	ExitCode         int       `json:"ExitCode"`
	OOMKilled        bool      `json:"OOMKilled"`
	Error            string    `json:"Error,omitempty"`
	StartedAt        time.Time `json:"StartedAt"`
	FinishedAt       time.Time `json:"FinishedAt"`
}

// Record is a container's config.json: everything needed to show, restart
// and clean up the container.
type Record struct {
	ID              string           `json:"Id"`
	Name            string           `json:"Name"`
	Image           string           `json:"Image"`
	ImageDigest     string           `json:"ImageDigest"`
	Layers          []string         `json:"Layers"` // unpacked image layers, lowest first
	Created         time.Time        `json:"Created"`
	Config          Config           `json:"Config"`
	State           State            `json:"State"`
	NetworkSettings network.Endpoint `json:"NetworkSettings"`

	// unreadable marks a stand-in for a record that could not be read:
	// cleanup then assumes the container may have held anything.
	unreadable bool
}

// Store keeps container records under <root>/containers.
type Store struct{ Layout constant.Layout }

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

// namesDir holds one file per container name, containing the ID. Creating
// it with O_EXCL is what makes a name unique, without a store-wide lock
// or reading every record, and it makes resolving a name one read.
func (s *Store) namesDir() string { return filepath.Join(s.Layout.ContainerDir(), ".names") }

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

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// ValidateName checks a container name as Docker does.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) || len(name) > 128 {
		return errors.Errorf("invalid container name %q: use [a-zA-Z0-9][a-zA-Z0-9_.-]*", name)
	}
	return nil
}

// Create assigns rec an ID (and a name if it has none) and writes its first
// record. Names are claimed atomically, so two parallel `run --name web`
// cannot both succeed.
func (s *Store) Create(rec *Record) error {
	if err := os.MkdirAll(s.namesDir(), 0o700); err != nil {
		return errors.Wrap(err, "create container dir")
	}
	rec.ID = utils.NewID()
	if rec.Name != "" {
		if err := s.claimName(rec.Name, rec.ID); err != nil {
			return err
		}
	} else {
		base := generateName(rec.ID)
		for i := 1; ; i++ {
			name := base
			if i > 1 {
				name = base + strconv.Itoa(i)
			}
			err := s.claimName(name, rec.ID)
			if err == nil {
				rec.Name = name
				break
			}
			var inUse *NameInUseError
			if !errors.As(err, &inUse) || i > 1000 {
				return err
			}
		}
	}
	if err := os.Mkdir(s.Dir(rec.ID), 0o700); err != nil {
		s.releaseName(rec.Name, rec.ID)
		return errors.Wrap(err, "create record dir")
	}
	// The reserve comes second, so that this first write cannot use it up.
	err := s.write(rec)
	if err == nil {
		err = s.Reserve(rec.ID)
	}
	if err != nil {
		if rerr := os.RemoveAll(s.Dir(rec.ID)); rerr != nil {
			return errors.Wrapf(err, "(and removing the half-made record failed: %v)", rerr)
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

// NameInUseError refuses a name another container has.
type NameInUseError struct{ Name string }

func (e *NameInUseError) Error() string {
	return fmt.Sprintf("container name %q is already in use", e.Name)
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
				if rerr := os.Remove(path); rerr != nil {
					return errors.Wrapf(werr, "claim name %s (and removing the claim failed: %v)", name, rerr)
				}
				return errors.Wrapf(werr, "claim name %s", name)
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
	lock, err := s.globalLock()
	if err != nil {
		return false
	}
	defer lock.Unlock()
	owner, err := os.ReadFile(filepath.Join(s.namesDir(), name))
	if err != nil {
		return os.IsNotExist(err)
	}
	if ValidID(string(owner)) {
		if _, err := os.Stat(s.Dir(string(owner))); err == nil {
			return false // a live container
		}
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
	if !nameRE.MatchString(name) {
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

func (s *Store) write(rec *Record) error {
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return errors.Wrap(err, "encode record")
	}
	err = utils.WriteFileAtomic(s.configPath(rec.ID), data, 0o600)
	if errors.Is(err, unix.ENOSPC) {
		// The container's log may have filled the disk: give back the
		// space kept for this moment, so its exit is still recorded.
		if rerr := os.Remove(s.reservePath(rec.ID)); rerr == nil {
			err = utils.WriteFileAtomic(s.configPath(rec.ID), data, 0o600)
		}
	}
	return err
}

// reserveSize is disk space kept beside each record, for rewriting the
// record on a disk the container's output has filled.
const reserveSize = 64 << 10

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
	err = unix.Fallocate(int(f.Fd()), 0, 0, reserveSize)
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

// decodeRecord parses the record of directory id.
func decodeRecord(id string, data []byte) (*Record, error) {
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, &CorruptError{ID: id, Err: err}
	}
	if err := rec.check(id); err != nil {
		return nil, &CorruptError{ID: id, Err: err}
	}
	return &rec, nil
}

var idRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ValidID reports whether id has the form of a container ID: only such
// names ever get a cgroup, a veth or a workspace.
func ValidID(id string) bool { return idRE.MatchString(id) }

// check refuses a record that does not belong to its directory or lacks
// what every record has. Everything cleanup does is keyed by the record's
// ID, so a record naming another ID (or none: `null`, `{}`) would make
// rm -f kill, unmount and delete another container's, or everyone's,
// things.
func (rec *Record) check(dirID string) error {
	switch {
	case rec.ID != dirID:
		return errors.Errorf("record has Id %q, not its directory's", rec.ID)
	case !ValidID(rec.ID):
		return errors.Errorf("invalid Id %q", rec.ID)
	case !nameRE.MatchString(rec.Name):
		return errors.Errorf("invalid Name %q", rec.Name)
	case len(rec.Config.Cmd) == 0:
		return errors.New("no Cmd")
	case len(rec.Layers) == 0:
		return errors.New("no Layers")
	case rec.State.Pid < 0 || rec.State.MonitorPid < 0:
		return errors.New("negative pid")
	}
	switch rec.State.Status {
	case StatusCreated, StatusRunning, StatusExited:
	default:
		return errors.Errorf("invalid Status %q", rec.State.Status)
	}
	for _, l := range rec.Layers {
		// A layer becomes part of overlayfs's option string, where ',' and
		// ':' separate options and directories.
		if !filepath.IsAbs(l) || filepath.Clean(l) != l || strings.ContainsAny(l, ",:") {
			return errors.Errorf("invalid layer path %q", l)
		}
	}
	return nil
}

// CorruptError reports a record that exists but cannot be read or does
// not describe the container of its directory.
type CorruptError struct {
	ID  string // the directory's, the only ID that can be trusted
	Err error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("corrupt record of container %s: %v", e.ID, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

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
	// Nothing is ever mounted here, but the rule holds everywhere: check.
	// The monitor of a container killed an instant ago may still be
	// logging its last output, and rotating the log adds a file as the
	// directory is emptied: empty it again then.
	var err error
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

// Alive reports whether the recorded process is still the one we started.
func (st *State) Alive() bool {
	if st.Pid <= 0 {
		return false
	}
	t := utils.ProcStartTime(st.Pid)
	return t != 0 && t == st.PidStartTime
}

// MonitorAlive reports whether the process watching the container is
// still the one that started it.
func (st *State) MonitorAlive() bool {
	if st.MonitorPid <= 0 {
		return false
	}
	t := utils.ProcStartTime(st.MonitorPid)
	return t != 0 && t == st.MonitorStartTime
}

// ExitUnwatched is the exit code recorded for a container whose monitor
// died: the kernel killed the container with it (parent-death SIGKILL).
const ExitUnwatched = 137

// Reconcile corrects a record that says running when its process is gone
// or its pid now belongs to another process, for display and decisions.
// A live monitor records the real exit code itself moments later; a dead
// one took the container with it, so SIGKILL's code is the truth.
func (rec *Record) Reconcile() {
	st := &rec.State
	if st.Status != StatusRunning || st.Alive() {
		return
	}
	st.Status = StatusExited
	if !st.MonitorAlive() {
		st.ExitCode = ExitUnwatched
		st.Error = "the mydocker process watching the container was killed"
	}
}

// Get loads container id and reconciles it with the running system.
func (s *Store) Get(id string) (*Record, error) {
	rec, err := s.Load(id)
	if err != nil {
		return nil, err
	}
	return s.Settle(rec), nil
}

var adjectives = []string{"brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "keen", "lucid", "merry", "nifty", "proud", "quirky", "serene", "sharp", "stoic", "tender", "vivid", "witty", "zealous"}
var nouns = []string{"babbage", "curie", "darwin", "euler", "fermi", "gauss", "hopper", "kepler", "lovelace", "mayer", "newton", "noether", "pascal", "ritchie", "shannon", "tesla", "thompson", "turing", "wozniak", "yalow"}

// generateName picks a Docker-style adjective_noun name from the ID's bits;
// Create adds a digit suffix while it clashes.
func generateName(id string) string {
	n, _ := strconv.ParseUint(id[:8], 16, 64)
	return adjectives[n%uint64(len(adjectives))] + "_" + nouns[(n/uint64(len(adjectives)))%uint64(len(nouns))]
}
