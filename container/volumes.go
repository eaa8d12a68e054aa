package container

import (
	"encoding/json"
	stderrors "errors"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"

	"mydocker/container/spec"
	"mydocker/utils"
)

// Named volumes live under <root>/volumes/<name>: the data in _data (the
// Mountpoint, as Docker lays it out) and what inspect shows in
// volume.json beside it. A volume is never removed while a container
// record, running or not, names it.

// Volume is one named volume, with the fields docker volume inspect shows.
type Volume struct {
	Name       string            `json:"Name"`
	Driver     string            `json:"Driver"`
	Mountpoint string            `json:"Mountpoint"`
	CreatedAt  time.Time         `json:"CreatedAt"`
	Labels     map[string]string `json:"Labels"`
	Scope      string            `json:"Scope"`
	Options    map[string]string `json:"Options"`
}

// AnonymousLabel marks a volume made for one container, as Docker marks it.
const AnonymousLabel = "com.docker.volume.anonymous"

// ValidateVolumeName refuses a name Docker would refuse:
// [a-zA-Z0-9][a-zA-Z0-9_.-]+. It also keeps a name from being a path: no
// slash, never "." or "..".
func ValidateVolumeName(name string) error {
	if !utils.IsName(name) || len(name) < 2 || len(name) > 255 {
		return errors.Errorf("invalid volume name %q: it must match [a-zA-Z0-9][a-zA-Z0-9_.-]+", name)
	}
	return nil
}

// ErrVolumeInUse is returned when removing a volume a container uses.
var ErrVolumeInUse = stderrors.New("volume is in use")

// VolumeNotFoundError is a volume name that names no volume.
type VolumeNotFoundError struct{ Name string }

func (e *VolumeNotFoundError) Error() string { return "no such volume: " + e.Name }

// VolumeStore is the named volumes of one state root.
type VolumeStore struct {
	dir        string
	containers *Store
}

// Volumes returns the volume store beside s's containers.
func (s *Store) Volumes() *VolumeStore {
	return &VolumeStore{dir: filepath.Join(s.Layout.Root, "volumes"), containers: s}
}

func (v *VolumeStore) path(name string) string { return filepath.Join(v.dir, name) }

// DataDir is where volume name's data is: its Mountpoint.
func (v *VolumeStore) DataDir(name string) string { return filepath.Join(v.path(name), "_data") }

func (v *VolumeStore) metaPath(name string) string {
	return filepath.Join(v.path(name), "volume.json")
}

// lock serialises creating and removing volumes.
func (v *VolumeStore) lock() (*utils.FileLock, error) {
	return utils.Lock(filepath.Join(v.dir, ".lock"))
}

// Create makes volume name (a random one if empty) with labels, or
// returns it as it is if it exists, as docker volume create does.
func (v *VolumeStore) Create(name string, labels map[string]string) (*Volume, error) {
	if name == "" {
		name = utils.NewID()
	}
	if err := ValidateVolumeName(name); err != nil {
		return nil, err
	}
	l, err := v.lock()
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	if vol, err := v.get(name); err == nil {
		return vol, nil
	} else if !isVolumeNotFound(err) {
		return nil, err
	}
	if labels == nil {
		labels = map[string]string{}
	}
	vol := &Volume{
		Name: name, Driver: "local", Mountpoint: v.DataDir(name),
		CreatedAt: time.Now().UTC().Truncate(time.Second), Labels: labels,
		Scope: "local", Options: map[string]string{},
	}
	// The data directory first, the metadata last: a volume half made
	// by a killed mydocker has no volume.json, is not listed, and is
	// completed by the next create.
	if err := os.MkdirAll(vol.Mountpoint, 0o755); err != nil {
		return nil, errors.Wrapf(err, "create volume %s", name)
	}
	data, err := json.MarshalIndent(vol, "", "  ")
	if err != nil {
		return nil, errors.Wrapf(err, "encode volume %s", name)
	}
	if err := utils.WriteFileAtomic(v.metaPath(name), data, 0o644); err != nil {
		return nil, errors.Wrapf(err, "write volume %s", name)
	}
	return vol, nil
}

func isVolumeNotFound(err error) bool {
	var nf *VolumeNotFoundError
	return errors.As(err, &nf)
}

// Get reads volume name.
func (v *VolumeStore) Get(name string) (*Volume, error) {
	if err := ValidateVolumeName(name); err != nil {
		return nil, &VolumeNotFoundError{Name: name}
	}
	return v.get(name)
}

func (v *VolumeStore) get(name string) (*Volume, error) {
	data, err := os.ReadFile(v.metaPath(name))
	if os.IsNotExist(err) {
		return nil, &VolumeNotFoundError{Name: name}
	}
	if err != nil {
		return nil, errors.Wrapf(err, "read volume %s", name)
	}
	var vol Volume
	if err := json.Unmarshal(data, &vol); err != nil {
		return nil, errors.Wrapf(err, "corrupt volume %s", name)
	}
	// The paths are the store's own, whatever the file says.
	vol.Name, vol.Mountpoint = name, v.DataDir(name)
	return &vol, nil
}

// List returns every volume by name; an unreadable one is reported and
// skipped.
func (v *VolumeStore) List() ([]*Volume, []error) {
	entries, err := os.ReadDir(v.dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, []error{errors.Wrap(err, "list volumes")}
	}
	var vols []*Volume
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || ValidateVolumeName(e.Name()) != nil {
			continue
		}
		vol, err := v.get(e.Name())
		if isVolumeNotFound(err) {
			continue // half made
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		vols = append(vols, vol)
	}
	sort.Slice(vols, func(i, j int) bool { return vols[i].Name < vols[j].Name })
	return vols, errs
}

// Users lists the containers whose records name volume name.
func (v *VolumeStore) Users(name string) ([]string, error) {
	recs, errs := v.containers.List()
	if len(errs) > 0 {
		// A record that cannot be read may name the volume: never guess
		// that it does not.
		return nil, errors.Wrap(errs[0], "cannot tell which containers use volumes")
	}
	var users []string
	for _, rec := range recs {
		for _, m := range rec.Config.Volumes {
			if m.Type == spec.MountVolume && m.Name == name {
				users = append(users, utils.ShortID(rec.ID))
				break
			}
		}
	}
	return users, nil
}

// Remove deletes volume name and its data, unless a container uses it.
// The data directory goes only once mountinfo shows nothing mounted
// under it.
func (v *VolumeStore) Remove(name string) error {
	if err := ValidateVolumeName(name); err != nil {
		return &VolumeNotFoundError{Name: name}
	}
	l, err := v.lock()
	if err != nil {
		return err
	}
	defer l.Unlock()
	if _, err := v.get(name); err != nil {
		return err
	}
	users, err := v.Users(name)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return errors.Wrapf(ErrVolumeInUse, "remove volume %s: used by container %s", name, users[0])
	}
	// The metadata first: a removal cut short leaves a half-made volume
	// that is not listed, rather than a listed one without its data.
	if err := os.Remove(v.metaPath(name)); err != nil && !os.IsNotExist(err) {
		return errors.Wrapf(err, "remove volume %s", name)
	}
	return utils.RemoveAllUnmounted(v.path(name))
}

// PrepareMounts makes what c's mounts need on the host before the
// container is created: a missing bind source directory (as Docker
// does), each named volume (created on first use) and an anonymous
// volume for each -v /path and each of the image's VOLUMEs no mount
// covers. It fills in the volumes' sources. On failure, the anonymous
// volumes it made are removed again.
func (v *VolumeStore) PrepareMounts(c *Config, imageVolumes map[string]struct{}) (err error) {
	covered := map[string]bool{}
	for _, m := range c.Volumes {
		covered[m.Destination] = true
	}
	var extra []string
	for p := range imageVolumes {
		if d := filepath.Clean("/" + p); d != "/" && !covered[d] {
			covered[d] = true
			extra = append(extra, d)
		}
	}
	sort.Strings(extra)
	for _, d := range extra {
		c.Volumes = append(c.Volumes, spec.Mount{Type: spec.MountVolume, Destination: d, CopyUp: true, Anonymous: true})
	}
	defer func() {
		if err != nil {
			err = utils.JoinCleanup(err, "removing anonymous volumes", v.RemoveAnonymous(c.Volumes))
		}
	}()
	for i := range c.Volumes {
		m := &c.Volumes[i]
		switch m.Type {
		case spec.MountVolume:
			var labels map[string]string
			if m.Anonymous {
				labels = map[string]string{AnonymousLabel: ""}
			}
			vol, err := v.Create(m.Name, labels)
			if err != nil {
				return err
			}
			m.Name, m.Source = vol.Name, vol.Mountpoint
		case "", spec.MountBind:
			if err := createBindSource(m.Source); err != nil {
				return err
			}
		}
	}
	return nil
}

// createBindSource makes a missing host directory for -v, as Docker
// does. An existing path is left exactly as it is.
func createBindSource(src string) error {
	if _, err := os.Stat(src); err == nil {
		return nil
	} else if !os.IsNotExist(err) {
		return errors.Wrapf(err, "volume source %s", src)
	}
	return errors.Wrapf(os.MkdirAll(src, 0o755), "create volume source %s", src)
}

// RemoveAnonymous removes the anonymous volumes among mounts that exist
// and that no container uses (another container may have been given one
// by name): rm -v, --rm and a failed run.
func (v *VolumeStore) RemoveAnonymous(mounts []spec.Mount) error {
	var errs error
	for _, m := range mounts {
		if m.Type != spec.MountVolume || !m.Anonymous || m.Name == "" {
			continue
		}
		err := v.Remove(m.Name)
		if isVolumeNotFound(err) {
			continue
		}
		if errors.Is(err, ErrVolumeInUse) {
			log.Warn(err)
			continue
		}
		if err != nil && errs == nil {
			errs = err
		}
	}
	return errs
}

// RemoveWithVolumes removes container id as Remove does, then its
// anonymous volumes that no other container uses (rm -v, --rm).
func (s *Store) RemoveWithVolumes(id string, force bool) error {
	rec, lerr := s.Load(id)
	if err := s.Remove(id, force); err != nil {
		return err
	}
	if lerr != nil {
		return nil // an unreadable record names no volume we could trust
	}
	return s.Volumes().RemoveAnonymous(rec.Config.Volumes)
}
