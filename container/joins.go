package container

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"

	"mydocker/utils"
)

// Namespace modes: what --network, --ipc, --pid and --uts may say beyond
// a network's name, as Docker spells them. A container made with
// "container:C" joins C's namespace instead of getting its own; the
// record keeps C's full ID ("container:<id>"), as Docker's inspect shows.
const (
	ModeHost      = "host"
	ModeContainer = "container:"
	// ModeShareable (--ipc) keeps the container's /dev/shm on the host,
	// so that containers joining its ipc namespace also get its /dev/shm
	// (a pod's infra container is made so). A container with a private
	// ipc namespace cannot be joined, as in Docker.
	ModeShareable = "shareable"
	ModePrivate   = "private"
)

// JoinedID returns C's ID when mode is "container:C", else "".
func JoinedID(mode string) string {
	if strings.HasPrefix(mode, ModeContainer) {
		return strings.TrimPrefix(mode, ModeContainer)
	}
	return ""
}

// ParseNamespaceMode checks the value of --ipc, --pid or --uts (flag):
// empty (a namespace of its own), host, container:C, and for --ipc also
// private and shareable.
func ParseNamespaceMode(flag, v string) error {
	switch {
	case v == "" || v == ModeHost:
		return nil
	case flag == "ipc" && (v == ModeShareable || v == ModePrivate):
		return nil
	case strings.HasPrefix(v, ModeContainer):
		if JoinedID(v) == "" {
			return errors.Errorf("invalid --%s %q: container:NAME names no container", flag, v)
		}
		return nil
	}
	want := "host or container:NAME"
	if flag == "ipc" {
		want = "private, shareable, host or container:NAME"
	}
	return errors.Errorf("invalid --%s %q: want %s", flag, v, want)
}

// ResolveJoins turns the container:C modes of c into container:<id>, so
// the record names the container whatever it is renamed to, and follows
// a network shared already: joining the network of a container that
// joined another's is joining that other's, whose /etc files it has.
// self is the new container's name, which cannot be joined.
func (s *Store) ResolveJoins(c *Config) error {
	for _, m := range []struct {
		flag string
		mode *string
	}{{"network", &c.Network}, {"ipc", &c.IpcMode}, {"pid", &c.PidMode}, {"uts", &c.UTSMode}} {
		ref := JoinedID(*m.mode)
		if ref == "" {
			continue
		}
		id, err := s.Resolve(ref)
		if err != nil {
			// Not a NotFoundError any more: that is rm's exit 1, and
			// a bad flag is 125.
			return errors.Errorf("--%s %s: %v", m.flag, *m.mode, err)
		}
		if m.flag == "network" {
			rec, err := s.Load(id)
			if err != nil {
				return errors.Wrapf(err, "--%s %s", m.flag, *m.mode)
			}
			if owner := JoinedID(rec.Config.Network); owner != "" {
				id = owner
			}
		}
		*m.mode = ModeContainer + id
	}
	// The hostname is the one of the uts namespace shared, as Docker
	// gives a container sharing another's network that one's hostname.
	owner := JoinedID(c.UTSMode)
	if owner == "" && c.UTSMode == "" && c.Hostname == "" {
		owner = JoinedID(c.Network)
	}
	switch {
	case owner != "":
		rec, err := s.Load(owner)
		if err != nil {
			return err
		}
		c.Hostname = hostname(rec)
	case c.UTSMode == ModeHost:
		h, err := os.Hostname()
		if err != nil {
			return errors.Wrap(err, "--uts host: the host's name")
		}
		c.Hostname = h
	}
	return nil
}

// joins is what a container that shares namespaces of others holds while
// it starts: the namespaces to join (open descriptors) and the records of
// the containers whose network and uts it shares.
type joins struct {
	namespaces []Namespace
	net, uts   *Record // nil: not shared with another container
	shm        string  // the /dev/shm to bind ("": its own tmpfs)
}

func (j *joins) close() {
	for _, ns := range j.namespaces {
		if ns.File != nil {
			ns.File.Close()
		}
	}
}

// nsNames are how namespaces are named to users.
var nsNames = map[string]string{"net": "network", "ipc": "ipc", "pid": "pid", "uts": "uts"}

// openJoins opens the namespaces rec shares and decides which it makes
// new. A namespace of another container is opened as a descriptor from
// /proc/PID/ns, and the pid is checked to still be that container's
// after the open (as Exec does): the descriptor then refers to its
// namespace whatever becomes of the pid later.
func (s *Store) openJoins(rec *Record) (_ *joins, err error) {
	j := &joins{}
	defer func() {
		if err != nil {
			j.close()
		}
	}()
	modes := map[string]string{"net": rec.Config.Network, "ipc": rec.Config.IpcMode, "pid": rec.Config.PidMode, "uts": rec.Config.UTSMode}
	for _, ns := range DefaultNamespaces {
		mode, shared := modes[ns.Type]
		if !shared || (mode != ModeHost && JoinedID(mode) == "") {
			j.namespaces = append(j.namespaces, ns) // its own
			continue
		}
		if mode == ModeHost {
			if ns.Type == "ipc" {
				j.shm = "/dev/shm"
			}
			continue // the host's: nothing to make or join
		}
		other, err := s.joinable(rec, ns.Type, JoinedID(mode))
		if err != nil {
			return nil, err
		}
		f, err := os.Open(fmt.Sprintf("/proc/%d/ns/%s", other.State.Pid, ns.Type))
		if err == nil && !other.State.Alive() {
			f.Close()
			err = errors.New("it exited")
		}
		if err != nil {
			return nil, errors.Errorf("cannot join the %s namespace of container %s: it is not running", nsNames[ns.Type], other.Name)
		}
		j.namespaces = append(j.namespaces, Namespace{Type: ns.Type, File: f})
		switch ns.Type {
		case "net":
			j.net = other
		case "uts":
			j.uts = other
		case "ipc":
			j.shm = s.shmDir(other.ID)
		}
	}
	return j, nil
}

// joinable loads the container whose ns (of rec) is to be joined and
// checks it runs and, for ipc, was made shareable.
func (s *Store) joinable(rec *Record, ns, id string) (*Record, error) {
	other, err := s.Load(id)
	if err != nil {
		return nil, errors.Errorf("cannot join the %s namespace of container %s: it no longer exists", nsNames[ns], utils.ShortID(id))
	}
	if other.State.Status != StatusRunning || !other.State.Alive() {
		return nil, errors.Errorf("cannot join the %s namespace of container %s: it is not running", nsNames[ns], other.Name)
	}
	if ns == "ipc" && other.Config.IpcMode != ModeShareable {
		return nil, errors.Errorf("cannot join the ipc namespace of container %s: its ipc is not shareable (create it with --ipc shareable)", other.Name)
	}
	return other, nil
}

// shmDir is where a shareable container's /dev/shm is mounted on the host.
func (s *Store) shmDir(id string) string { return filepath.Join(s.Dir(id), "shm") }

// mountShm mounts the /dev/shm of a shareable container on the host,
// where the containers joining its ipc namespace find it too. release
// unmounts it.
func (s *Store) mountShm(rec *Record) (string, error) {
	dir := s.shmDir(rec.ID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", errors.Wrap(err, "shm directory")
	}
	size := rec.Config.ShmSize
	if size <= 0 {
		size = 64 << 20 // Docker's default
	}
	data := fmt.Sprintf("mode=1777,size=%d", size)
	if err := unix.Mount("shm", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, data); err != nil {
		return "", errors.Wrapf(err, "mount /dev/shm at %s", dir)
	}
	return dir, nil
}

// unmountShm undoes mountShm; it is idempotent, as release is.
func (s *Store) unmountShm(id string) error {
	dir := s.shmDir(id)
	mounts, err := utils.MountsUnder(dir)
	if err != nil {
		return err
	}
	for _, m := range mounts { // deepest first
		if err := utils.Unmount(m); err != nil {
			return err
		}
	}
	return nil
}
