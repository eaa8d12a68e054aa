package spec

import "mydocker/container/security"

// Mount is what the container gets at Destination: a bind mount of a host
// path (Type "" or "bind"), a volume's data directory (Type "volume",
// Source its _data, filled in by the host before init runs) or a new
// tmpfs (Type "tmpfs", with Flags and Data for mount(2)).
type Mount struct {
	Type        string `json:"Type,omitempty"`
	Name        string `json:"Name,omitempty"` // the volume's
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
	ReadOnly    bool   `json:"ReadOnly"`
	// CopyUp: an empty volume gets the image's content at Destination
	// first, as Docker fills a new volume (not with volume-nocopy).
	CopyUp bool `json:"CopyUp,omitempty"`
	// Anonymous: a volume made for this container alone (-v /path, the
	// image's VOLUME), removed with it by rm -v and --rm.
	Anonymous bool `json:"Anonymous,omitempty"`
	// Flags and Data are a tmpfs's mount(2) flags and options.
	Flags uintptr `json:"Flags,omitempty"`
	Data  string  `json:"Data,omitempty"`
}

// The types of Mount.
const (
	MountBind   = "bind"
	MountVolume = "volume"
	MountTmpfs  = "tmpfs"
)

// InitConfig is everything init needs. The host writes it to init's fd 3
// as one length-framed JSON message (see sync.go), so every argument
// arrives whole.
type InitConfig struct {
	// Build is the host's BuildID: init refuses a config from another
	// build of mydocker (see CheckBuild).
	Build  string `json:"build,omitempty"`
	Rootfs string `json:"rootfs"` // host path of the mounted overlay (merged)
	// RootfsMount: init was started before the overlay was mounted, so
	// its mount namespace lacks it; MsgRootfs, sent on SyncFd before
	// this config, carries a detached copy to attach at Rootfs.
	RootfsMount bool     `json:"rootfsMount,omitempty"`
	Mounts      []Mount  `json:"mounts"`
	Args        []string `json:"args"`
	Env         []string `json:"env"`
	Cwd         string   `json:"cwd"`
	// User is user[:group] as -u or the image gave it, resolved by init
	// in the container's own /etc/passwd and /etc/group.
	User string `json:"user,omitempty"`
	// Hostname is set in the container's uts namespace; empty when the
	// namespace is another container's or the host's, whose name stays.
	Hostname string `json:"hostname"`
	Tty      bool   `json:"tty"`
	// ConsoleSize is the caller's window size, set on the pty before the
	// command starts so it never sees a 0x0 terminal.
	ConsoleSize *ConsoleSize      `json:"consoleSize,omitempty"`
	Debug       bool              `json:"debug"`
	Trace       bool              `json:"trace,omitempty"` // report each step (MsgTrace)
	Security    security.Security `json:"security"`
	// SeccompFilter is the default filter (FilterBytes) the host
	// assembled for the capabilities SeccompCaps, which init keeps;
	// empty when the host had none at hand (the monitor, on a cache
	// miss): init assembles it then.
	SeccompFilter []byte `json:"seccompFilter,omitempty"`
	SeccompCaps   uint64 `json:"seccompCaps,omitempty"`
	// CgroupFiles are the v1 tasks files init writes "0" to, joining its
	// cgroups itself before anything else (see cgroups.Placement).
	CgroupFiles []string `json:"cgroupFiles,omitempty"`
	// Proc is what the command's process gets besides its user (also
	// given to exec'd processes).
	Proc ProcessExtras `json:"proc"`
	// ReadonlyRootfs makes / read-only (--read-only); mounts on it keep
	// their own flags.
	ReadonlyRootfs bool `json:"readonlyRootfs,omitempty"`
	// ShmSize is /dev/shm's size in bytes, 0 for the default 64m.
	ShmSize int64 `json:"shmSize,omitempty"`
	// ShmSource, when set, is a host directory bound at /dev/shm instead
	// of a tmpfs of its own: the /dev/shm of the container whose ipc
	// namespace is shared (--ipc shareable, container:C, host).
	ShmSource string `json:"shmSource,omitempty"`
	// InitBinary (--init) is the host path of mydocker-init, the reaper
	// that becomes pid 1 and runs the command. Init copies it into a
	// sealed memfd while the host's files are still in view.
	InitBinary string `json:"initBinary,omitempty"`
	// Devices are the --device nodes init makes in the container's /dev.
	Devices []Device `json:"devices,omitempty"`
}

// Device is a device node made in the container's /dev (--device).
type Device struct {
	Path         string `json:"path"` // /dev/...
	Type         string `json:"type"` // "b" or "c"
	Major, Minor int64
	Mode         uint32 `json:"mode"` // permission bits
	UID, GID     uint32
}

// ProcessExtras are the settings every process of a container gets, init's
// command and exec'd ones alike: --group-add and --ulimit.
type ProcessExtras struct {
	// GroupAdd are supplementary groups, names resolved in the
	// container's /etc/group, added to the user's.
	GroupAdd []string `json:"groupAdd,omitempty"`
	Rlimits  []Rlimit `json:"rlimits,omitempty"`
}

// Rlimit is one resource limit, set with setrlimit(2) before exec.
type Rlimit struct {
	Type int    `json:"type"` // RLIMIT_*
	Soft uint64 `json:"soft"`
	Hard uint64 `json:"hard"`
}

// ExecConfig is the process `exec` is asked to start in a running
// container, as the user gave it. The host works it out into an ExecPlan
// for the stub (see sync.go).
type ExecConfig struct {
	Args        []string          `json:"args"`
	Env         []string          `json:"env"`
	Cwd         string            `json:"cwd"`
	User        string            `json:"user,omitempty"` // as InitConfig's
	Tty         bool              `json:"tty"`
	Interactive bool              `json:"interactive"`
	ConsoleSize *ConsoleSize      `json:"consoleSize,omitempty"`
	Security    security.Security `json:"security"`
	Proc        ProcessExtras     `json:"proc"`
}

// ConsoleSize is a terminal's size in characters.
type ConsoleSize struct {
	Rows uint16 `json:"rows"`
	Cols uint16 `json:"cols"`
}
