//go:build !nosystemd

// The systemd driver's manager, which talks to systemd over D-Bus. A
// program that never manages a container's cgroup is built with the tag
// nosystemd (mydocker-inside, which starts on every run): D-Bus and what
// it links (net, crypto, os/user) cost its start more than a millisecond
// of package initialisation, for nothing.

package cgroups

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	godbus "github.com/godbus/dbus/v5"
	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// newSystemdManager is the systemd driver's Manager for container id, its
// scope under root (the cgroup2 mount).
func newSystemdManager(root, id string) (Manager, error) { return newSystemd(root, id), nil }

// systemdLeaf is the cgroup inside a container's scope that holds its
// processes and limits. The scope is delegated (Delegate=yes): systemd
// never writes below it, while it does rewrite the scope's own limit
// files from the unit's properties whenever it reloads. Keeping every
// limit in a child means the cgroup code is the same as cgroupfs's v2
// one, and a reload cannot lift a container's limits.
const systemdLeaf = "container"

// systemdManager is a container's cgroup as a transient scope. A scope
// needs a process to exist, so it is created by Apply (the runner then
// moves init in from outside rather than creating init inside); its
// limits, given to Set before that, wait for it.
type systemdManager struct {
	id      string
	scope   string // absolute path of the scope's cgroup
	leaf    *v2    // scope/container
	pending *Resources
}

func newSystemd(root, id string) *systemdManager {
	scope := filepath.Join(root, SystemdSlice, ScopeName(id))
	return &systemdManager{id: id, scope: scope, leaf: NewV2(scope, systemdLeaf).(*v2)}
}

// sdTimeout bounds each conversation with systemd: a hung systemd must
// not hang every mydocker command.
const sdTimeout = 30 * time.Second

// withSystemd runs fn on a connection to systemd's private socket (root
// only, and no D-Bus daemon needed).
func withSystemd(fn func(ctx context.Context, conn *sddbus.Conn) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), sdTimeout)
	defer cancel()
	conn, err := sddbus.NewSystemdConnectionContext(ctx)
	if err != nil {
		return errors.Wrap(err, "connect to systemd")
	}
	defer conn.Close()
	return fn(ctx, conn)
}

func (m *systemdManager) Paths() map[string]string { return m.leaf.Paths() }

// Create does nothing: systemd refuses a scope without a process.
func (m *systemdManager) Create() error { return nil }

func (m *systemdManager) Set(r *Resources) error {
	if !m.started() {
		cp := *r
		m.pending = &cp
		return nil
	}
	if props := weightProperties(r); len(props) > 0 {
		unit := ScopeName(m.id)
		err := withSystemd(func(ctx context.Context, conn *sddbus.Conn) error {
			return errors.Wrapf(conn.SetUnitPropertiesContext(ctx, unit, true, props...), "set properties of %s", unit)
		})
		if err != nil {
			return err
		}
	}
	return m.leaf.Set(r)
}

// weightProperties are the scope's properties for r's relative weights.
// A weight shares time among siblings, and a container's siblings are
// the other scopes of the slice: so weights go on the scope itself, as
// properties systemd keeps across reloads, not only on the leaf, whose
// only sibling is none.
func weightProperties(r *Resources) []sddbus.Property {
	var props []sddbus.Property
	if r.CPUShares > 0 || r.CPUWeight > 0 {
		props = append(props, sddbus.Property{Name: "CPUWeight", Value: godbus.MakeVariant(cpuWeightV2(r))})
	}
	if r.BlkioWeight > 0 {
		props = append(props, sddbus.Property{Name: "IOWeight", Value: godbus.MakeVariant(blkioToIOWeight(r.BlkioWeight))})
	}
	return props
}

func (m *systemdManager) started() bool {
	_, err := os.Stat(m.leaf.dir())
	return err == nil
}

// Apply starts the scope with pid in it, moves pid down into the leaf,
// hands the scope's controllers down to the leaf and writes the limits.
func (m *systemdManager) Apply(pid int) error {
	unit := ScopeName(m.id)
	props := []sddbus.Property{
		sddbus.PropDescription("mydocker container " + m.id),
		sddbus.PropSlice(SystemdSlice),
		sddbus.PropPids(uint32(pid)),
		{Name: "Delegate", Value: godbus.MakeVariant(true)},
		// Ordered after nothing: a scope for a container is not part of boot.
		{Name: "DefaultDependencies", Value: godbus.MakeVariant(false)},
		// Gone when its processes are, even after a kill (no "failed" unit
		// left to block the next start of the same container).
		{Name: "CollectMode", Value: godbus.MakeVariant("inactive-or-failed")},
	}
	if m.pending != nil {
		props = append(props, weightProperties(m.pending)...)
	}
	err := withSystemd(func(ctx context.Context, conn *sddbus.Conn) error {
		start := func() error {
			done := make(chan string, 1)
			if _, err := conn.StartTransientUnitContext(ctx, unit, "replace", props, done); err != nil {
				return err
			}
			select {
			case res := <-done:
				if res != "done" {
					return errors.Errorf("job %s", res)
				}
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		err := start()
		if isDBusError(err, "org.freedesktop.systemd1.UnitExists") {
			// Left by a start that died before its cleanup: replace it.
			if err = stopUnit(ctx, conn, unit); err == nil {
				err = start()
			}
		}
		return errors.Wrapf(err, "start systemd scope %s", unit)
	})
	if err != nil {
		return err
	}
	if err := os.Mkdir(m.leaf.dir(), 0o755); err != nil && !os.IsExist(err) {
		return errors.Wrapf(err, "create cgroup %s", m.leaf.dir())
	}
	if err := writeFile(m.leaf.dir(), "cgroup.procs", strconv.Itoa(pid)); err != nil {
		return err
	}
	// The scope is empty now (no internal processes), so it can enable
	// controllers for its child.
	if err := m.leaf.Create(); err != nil {
		return err
	}
	m.watchOOM()
	if m.pending != nil {
		r := m.pending
		m.pending = nil
		return m.leaf.Set(r)
	}
	return nil
}

// oomSeen holds, per container started by this process, whether an OOM
// kill was seen while it ran. systemd removes an empty scope, leaf and
// all, as soon as its last process exits, which can be before the
// process that waits for the container reads memory.events; so that
// process watches the file while the container runs (as containerd
// does) and remembers.
var oomSeen sync.Map // container ID -> *atomic.Bool

// watchOOM follows the leaf's memory.events through inotify until the
// cgroup goes. A failure to watch only loses what the final read can
// still find.
func (m *systemdManager) watchOOM() {
	seen := &atomic.Bool{}
	oomSeen.Store(m.id, seen)
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		log.Debugf("watch OOM events of %s: %v", m.id, err)
		return
	}
	if _, err := unix.InotifyAddWatch(fd, filepath.Join(m.leaf.dir(), "memory.events"), unix.IN_MODIFY); err != nil {
		unix.Close(fd)
		log.Debugf("watch OOM events of %s: %v", m.id, err)
		return
	}
	go func() {
		defer unix.Close(fd)
		buf := make([]byte, 4096)
		for {
			if killed, err := oomKilled(m.leaf.dir(), "memory.events"); err == nil && killed {
				seen.Store(true)
				return
			} else if _, serr := os.Stat(m.leaf.dir()); serr != nil {
				return
			}
			if _, err := unix.Read(fd, buf); err != nil && err != unix.EINTR {
				return
			}
		}
	}()
}

// Placement: a scope exists only once a process is in it, so a
// container's first process is moved in by Apply; later ones (exec) are
// created in the leaf or join it.
func (m *systemdManager) Placement() Placement {
	if m.started() {
		return m.leaf.Placement()
	}
	return Placement{}
}

func (m *systemdManager) Stats() (*Stats, error) { return m.leaf.Stats() }
func (m *systemdManager) Freeze() error          { return m.leaf.Freeze() }
func (m *systemdManager) Thaw() error            { return m.leaf.Thaw() }

// OOMKilled reads the leaf's count, or what the watch saw if the leaf is
// gone already.
func (m *systemdManager) OOMKilled() (bool, error) {
	killed, err := m.leaf.OOMKilled()
	if v, ok := oomSeen.Load(m.id); ok && v.(*atomic.Bool).Load() {
		return true, nil
	}
	if err != nil {
		if _, serr := os.Stat(m.leaf.dir()); os.IsNotExist(serr) {
			return false, nil
		}
	}
	return killed, err
}

// Destroy kills what is left, removes the leaf and stops the scope, which
// makes systemd remove its cgroup. A scope already gone is no error.
func (m *systemdManager) Destroy() error {
	if err := m.leaf.destroyOnly(); err != nil {
		return err
	}
	unit := ScopeName(m.id)
	err := withSystemd(func(ctx context.Context, conn *sddbus.Conn) error {
		return errors.Wrapf(stopUnit(ctx, conn, unit), "stop systemd scope %s", unit)
	})
	if err != nil {
		return err
	}
	// Stopping kills the scope's processes (none: they were in the leaf)
	// and then systemd removes the cgroup; wait until it has.
	return removeCgroup(m.scope, rmdir)
}

// stopUnit stops unit and waits for the job; a unit that is not loaded is
// already stopped.
func stopUnit(ctx context.Context, conn *sddbus.Conn, unit string) error {
	done := make(chan string, 1)
	if _, err := conn.StopUnitContext(ctx, unit, "replace", done); err != nil {
		if isDBusError(err, "org.freedesktop.systemd1.NoSuchUnit") {
			return nil
		}
		return err
	}
	select {
	case res := <-done:
		if res != "done" {
			return errors.Errorf("stop job %s", res)
		}
	case <-ctx.Done():
		return ctx.Err()
	}
	// A killed scope may be left "failed"; CollectMode makes that rare.
	if err := conn.ResetFailedUnitContext(ctx, unit); err != nil &&
		!isDBusError(err, "org.freedesktop.systemd1.NoSuchUnit") &&
		!isDBusError(err, "org.freedesktop.systemd1.LoadFailed") {
		return err
	}
	return nil
}

func isDBusError(err error, name string) bool {
	var de godbus.Error
	if errors.As(err, &de) {
		return de.Name == name
	}
	return err != nil && strings.Contains(err.Error(), name)
}

// EnterMonitorScope moves the calling process, container id's monitor,
// into a scope of its own. Left in the unit of whoever ran `run -d` (a
// login session, a CI job's service), it would be killed with that unit
// when it stops, and the container would lose the process that records
// its exit. The scope goes away with the monitor.
func EnterMonitorScope(id string) error {
	unit := MonitorScopeName(id)
	props := []sddbus.Property{
		sddbus.PropDescription("mydocker monitor of container " + id),
		sddbus.PropSlice(SystemdSlice),
		sddbus.PropPids(uint32(os.Getpid())),
		{Name: "DefaultDependencies", Value: godbus.MakeVariant(false)},
		{Name: "CollectMode", Value: godbus.MakeVariant("inactive-or-failed")},
	}
	return withSystemd(func(ctx context.Context, conn *sddbus.Conn) error {
		done := make(chan string, 1)
		if _, err := conn.StartTransientUnitContext(ctx, unit, "replace", props, done); err != nil {
			return errors.Wrapf(err, "start systemd scope %s", unit)
		}
		select {
		case res := <-done:
			if res != "done" {
				return errors.Errorf("start systemd scope %s: job %s", unit, res)
			}
			return nil
		case <-ctx.Done():
			return errors.Wrapf(ctx.Err(), "start systemd scope %s", unit)
		}
	})
}
