// Package cgroups puts each container in its own control group, named
// mydocker/<id> in every hierarchy, and applies its limits. A Manager
// hides whether the host has cgroup v1 (one hierarchy per subsystem) or
// v2 (one unified hierarchy); New picks the implementation from what the
// host mounts, as runc's libcontainer does.
//
// The layout follows runc's: a Manager per version (v1.go, v2.go) creates,
// joins and removes the cgroup; a file per controller (memory.go, cpu.go,
// cpuset.go, pids.go, blkio.go, freezer.go) holds that controller's v1 and v2 writes, its stats
// and the parser of its flag; placement.go says how a new process enters
// the cgroup; fs.go has the file helpers they share.
package cgroups

import (
	"os"
	"path/filepath"
	"sync"

	"github.com/pkg/errors"
)

// Resources are the limits of one container, named as Docker's
// HostConfig names them. Zero means unset: the kernel's default.
type Resources struct {
	Memory int64 `json:"Memory,omitempty"` // bytes
	// MemorySwap is memory plus swap, in bytes, as Docker counts it; -1
	// is unlimited swap.
	MemorySwap        int64  `json:"MemorySwap,omitempty"`
	MemoryReservation int64  `json:"MemoryReservation,omitempty"` // soft limit, bytes
	CPUShares         uint64 `json:"CpuShares,omitempty"`         // v1 relative weight, 2..262144
	CPUWeight         uint64 `json:"CpuWeight,omitempty"`         // v2 relative weight, 1..10000
	CPUQuota          int64  `json:"CpuQuota,omitempty"`          // microseconds of CPU time per period
	CPUPeriod         uint64 `json:"CpuPeriod,omitempty"`         // microseconds
	CpusetCpus        string `json:"CpusetCpus,omitempty"`        // e.g. "0-1"
	PidsLimit         int64  `json:"PidsLimit,omitempty"`
	BlkioWeight       uint16 `json:"BlkioWeight,omitempty"` // 10..1000
	// BlkioDeviceReadBps and BlkioDeviceWriteBps cap a block device's
	// bytes per second.
	BlkioDeviceReadBps  []ThrottleDevice `json:"BlkioDeviceReadBps,omitempty"`
	BlkioDeviceWriteBps []ThrottleDevice `json:"BlkioDeviceWriteBps,omitempty"`
	// Devices are the device nodes the container may use (devices.go);
	// nil, in a record from before them, leaves the cgroup's as it is.
	Devices []DeviceRule `json:"Devices,omitempty"`
}

// Stats is a snapshot of what a container uses.
type Stats struct {
	CPUUsageNs  uint64 // total CPU time used, nanoseconds
	MemoryUsage uint64 // bytes
	MemoryLimit uint64 // bytes; the host's memory when unlimited
	Pids        uint64
	BlockRead   uint64 // bytes read from block devices
	BlockWrite  uint64 // bytes written to block devices
}

// Manager is one container's control group.
type Manager interface {
	// Create makes the cgroup (and its parent) in every hierarchy.
	Create() error
	// Set writes the limits; call it before Apply so the first process
	// starts limited.
	Set(r *Resources) error
	// Apply moves pid (and its future children) into the cgroup.
	Apply(pid int) error
	// Placement says how a new process enters the cgroup without being
	// moved from outside: created inside it (v2) or joining by itself (v1).
	Placement() Placement
	// Stats reads current usage.
	Stats() (*Stats, error)
	// Freeze stops every process of the cgroup and returns once the
	// kernel reports them all frozen; Thaw lets them run again.
	Freeze() error
	Thaw() error
	// OOMKilled reports whether the kernel killed a process of the cgroup
	// for lack of memory.
	OOMKilled() (bool, error)
	// Destroy kills what is left in the cgroup and removes it. It is
	// idempotent: a cgroup already gone is not an error.
	Destroy() error
	// Paths names the cgroup's directory per hierarchy (v2: key "").
	Paths() map[string]string
}

// Parent is the directory under each hierarchy that holds one cgroup per
// container.
const Parent = "mydocker"

// Name is container id's cgroup path relative to a hierarchy's root.
func Name(id string) string { return filepath.Join(Parent, id) }

// New returns the Manager for container id on this host, with the cgroup
// driver its record names ("" is cgroupfs: records from before drivers).
func New(id, driver string) (Manager, error) {
	l, err := hostLayout()
	if err != nil {
		return nil, err
	}
	if driver == DriverSystemd {
		if l.mode != V2 {
			return nil, errors.New("the systemd cgroup manager needs a cgroup v2 host")
		}
		return newSystemdManager(l.mounts[""], id)
	}
	if l.mode == V2 {
		return NewV2(l.mounts[""], Name(id)), nil
	}
	return NewV1(l.mounts, Name(id)), nil
}

// JoinsLate says whether a process started before its container's
// cgroup exists can enter it once made without being moved from outside:
// on v1 by joining itself through the tasks files (Placement). On v2 it
// could only be moved (Apply), whose cost a process created inside the
// cgroup never pays.
func JoinsLate(driver string) bool {
	l, err := hostLayout()
	return err == nil && driver != DriverSystemd && l.mode != V2
}

type layout struct {
	mode   Mode
	mounts map[string]string
}

// hostLayout detects the host's cgroup layout once per process: a run
// asks for its container's Manager several times (start, exit, removal),
// and the mount table of cgroup hierarchies does not change meanwhile.
var hostLayout = sync.OnceValues(func() (layout, error) {
	if mode, mounts, ok := detectStandard("/sys/fs/cgroup"); ok {
		return layout{mode, mounts}, nil
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return layout{}, errors.Wrap(err, "read mount table")
	}
	defer f.Close()
	mode, mounts, err := Detect(f)
	return layout{mode, mounts}, err
})
