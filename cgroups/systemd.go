package cgroups

import (
	"os"

	"github.com/pkg/errors"
)

// The cgroup drivers: who creates a container's cgroup.
const (
	// DriverCgroupfs: mydocker makes mydocker/<id> itself, in every hierarchy.
	DriverCgroupfs = "cgroupfs"
	// DriverSystemd: systemd makes a transient scope, mydocker-<id>.scope,
	// through its D-Bus API, as runc and Podman do where systemd is PID 1.
	// systemd owns the cgroup tree on such hosts: it would move or kill
	// processes in cgroups it did not make when it reorganizes the tree.
	DriverSystemd = "systemd"
)

// SystemdSlice is the slice the scopes go in, as Docker's and runc's do.
const SystemdSlice = "system.slice"

// SystemdBooted reports whether systemd is this host's init, as
// sd_booted(3) tells: the driver to use by default.
func SystemdBooted() bool {
	fi, err := os.Lstat("/run/systemd/system")
	return err == nil && fi.IsDir()
}

// DefaultDriver is the driver for this host: systemd's where it is the
// init of a cgroup v2 host, cgroupfs elsewhere.
func DefaultDriver() string {
	if l, err := hostLayout(); err == nil && l.mode == V2 && SystemdBooted() {
		return DriverSystemd
	}
	return DriverCgroupfs
}

// CheckDriver refuses a driver name this host cannot use.
func CheckDriver(driver string) error {
	switch driver {
	case DriverCgroupfs:
		return nil
	case DriverSystemd:
		l, err := hostLayout()
		if err != nil {
			return err
		}
		if l.mode != V2 {
			return errors.New("the systemd cgroup manager needs a cgroup v2 host; use --cgroup-manager cgroupfs")
		}
		if !SystemdBooted() {
			return errors.New("the systemd cgroup manager needs systemd as init (no /run/systemd/system); use --cgroup-manager cgroupfs")
		}
		return nil
	}
	return errors.Errorf("invalid cgroup manager %q: want cgroupfs or systemd", driver)
}

// ScopeName is container id's systemd unit.
func ScopeName(id string) string { return "mydocker-" + id + ".scope" }

// MonitorScopeName is the unit of container id's monitor (run -d).
func MonitorScopeName(id string) string { return "mydocker-monitor-" + id + ".scope" }
