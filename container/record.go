package container

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/pkg/errors"

	"mydocker/cgroups"
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
	// StatusPaused is only shown (inspect's State.Status): the record
	// keeps a paused container running, with State.Paused set.
	StatusPaused = "paused"
)

// Config is what the user asked for; only update changes it (Resources)
// after creation.
//
// Entrypoint, Cmd, Env, WorkingDir, User, StopSignal and ExposedPorts are
// the image's config merged with the command line, with Docker's names
// and shapes so that inspect shows what docker inspect does.
type Config struct {
	Image        string                `json:"Image,omitempty"` // the reference the user gave
	Entrypoint   []string              `json:"Entrypoint"`
	Cmd          []string              `json:"Cmd"`
	Env          []string              `json:"Env"`
	WorkingDir   string                `json:"WorkingDir"`
	User         string                `json:"User"`
	StopSignal   string                `json:"StopSignal,omitempty"`
	ExposedPorts map[string]struct{}   `json:"ExposedPorts,omitempty"`
	Hostname     string                `json:"Hostname"`
	Tty          bool                  `json:"Tty"`
	OpenStdin    bool                  `json:"OpenStdin"`
	AutoRemove   bool                  `json:"AutoRemove"`
	Volumes      []spec.Mount          `json:"Volumes"`
	Resources    cgroups.Resources     `json:"Resources"`
	Network      string                `json:"Network,omitempty"`
	Ports        []network.PortMapping `json:"Ports,omitempty"`
	CapAdd       []string              `json:"CapAdd,omitempty"`
	CapDrop      []string              `json:"CapDrop,omitempty"`
	Privileged   bool                  `json:"Privileged,omitempty"`
	SecurityOpt  []string              `json:"SecurityOpt,omitempty"`
	Log          LogOptions            `json:"LogConfig"`
	// Labels are the image's labels overridden by -l/--label-file.
	Labels map[string]string `json:"Labels,omitempty"`
	// Networking beyond Network and Ports, with Docker's HostConfig names.
	ExtraHosts      []string `json:"ExtraHosts,omitempty"` // --add-host NAME:IP, as typed
	DNS             []string `json:"Dns,omitempty"`
	DNSSearch       []string `json:"DnsSearch,omitempty"`
	DNSOptions      []string `json:"DnsOptions,omitempty"`
	NetworkAliases  []string `json:"NetworkAliases,omitempty"`
	IPAddress       string   `json:"IPAddress,omitempty"` // --ip: a fixed address
	PublishAllPorts bool     `json:"PublishAllPorts,omitempty"`
	// Run flags (runflags.go).
	ReadonlyRootfs bool     `json:"ReadonlyRootfs,omitempty"`
	ShmSize        int64    `json:"ShmSize,omitempty"`
	GroupAdd       []string `json:"GroupAdd,omitempty"`
	Ulimits        []Ulimit `json:"Ulimits,omitempty"`
	// StopTimeout is stop's default wait before SIGKILL, in seconds; nil
	// for stop's own default.
	StopTimeout *int `json:"StopTimeout,omitempty"`
	// Init runs mydocker-init as pid 1, reaping zombies (--init).
	Init bool `json:"Init,omitempty"`
	// Devices are --device's nodes; their cgroup rules are in Resources.
	Devices []DeviceMapping `json:"Devices,omitempty"`
	// Healthcheck is the image's HEALTHCHECK merged with --health-*
	// (health.go); nil or Test NONE: none.
	Healthcheck *v1.HealthConfig `json:"Healthcheck,omitempty"`
	// RestartPolicy is --restart (restart.go); the zero value is "no".
	RestartPolicy RestartPolicy `json:"RestartPolicy"`
	// Namespaces shared with the host or another container (joins.go):
	// "" (its own), host, container:<id>; IpcMode also shareable.
	// Network says the same of the network namespace.
	IpcMode string `json:"IpcMode,omitempty"`
	PidMode string `json:"PidMode,omitempty"`
	UTSMode string `json:"UTSMode,omitempty"`
	// Pod is the ID of the pod the container belongs to ("" for none).
	Pod string `json:"Pod,omitempty"`
	// Infra marks the infra container of pod Pod: it holds the pod's
	// shared namespaces and published ports.
	Infra bool `json:"Infra,omitempty"`
}

// Args is the command line the container runs: Entrypoint, then Cmd.
func (c *Config) Args() []string {
	return append(append([]string{}, c.Entrypoint...), c.Cmd...)
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
	Paused           bool      `json:"Paused"` // frozen by pause; Status stays running
	Error            string    `json:"Error,omitempty"`
	StartedAt        time.Time `json:"StartedAt"`
	FinishedAt       time.Time `json:"FinishedAt"`
	// Health is the healthcheck's state (health.go); nil without one.
	Health *Health `json:"Health,omitempty"`
	// Restarting: the command exited and the monitor waits RestartDelay
	// before starting it again (restart.go). Status stays exited.
	Restarting   bool          `json:"Restarting,omitempty"`
	RestartDelay time.Duration `json:"RestartDelay,omitempty"`
	// ManuallyStopped is Docker's HasBeenManuallyStopped: stop (or kill
	// with SIGKILL or the stop signal) ended this run, so no restart
	// policy restarts it. Starting the container clears it.
	ManuallyStopped bool `json:"ManuallyStopped,omitempty"`
}

// Record is a container's config.json: everything needed to show, restart
// and clean up the container.
type Record struct {
	ID              string           `json:"Id"`
	Name            string           `json:"Name"`
	Image           string           `json:"Image"`
	ImageDigest     string           `json:"ImageDigest"`
	ImageID         string           `json:"ImageID,omitempty"` // sha256:<config digest>, Docker's image ID
	Layers          []string         `json:"Layers"`            // unpacked image layers, lowest first
	Created         time.Time        `json:"Created"`
	Config          Config           `json:"Config"`
	State           State            `json:"State"`
	NetworkSettings network.Endpoint `json:"NetworkSettings"`
	// CgroupManager is the cgroup driver the container was made with
	// (cgroups.DriverSystemd or, empty for records from before, cgroupfs):
	// every later command must find its cgroup the same way.
	CgroupManager string `json:"CgroupManager,omitempty"`
	// RestartCount counts the restarts made by the restart policy since
	// the user last started the container, as Docker's.
	RestartCount int `json:"RestartCount"`

	// unreadable marks a stand-in for a record that could not be read:
	// cleanup then assumes the container may have held anything.
	unreadable bool
}

// WarmRecordCodec builds encoding/json's tables for Record: the fields,
// tags and encoders of it and every type it holds, which json finds by
// reflection the first time a process meets the type. That first time
// costs 1.2 ms here (a decode after it: 0.08 ms), in the middle of exec's
// path and run's. The CLI calls it on a goroutine of its own as it
// starts, so the work overlaps parsing the command line on the other CPU.
func WarmRecordCodec() {
	_, _ = json.Marshal(&Record{})
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

// ValidID reports whether id has the form of a container ID: only such
// names ever get a cgroup, a veth or a workspace.
func ValidID(id string) bool { return utils.IsLowerHex(id, 64, 64) }

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
	case !utils.IsName(rec.Name):
		return errors.Errorf("invalid Name %q", rec.Name)
	case len(rec.Config.Cmd) == 0 && len(rec.Config.Entrypoint) == 0:
		return errors.New("no Cmd or Entrypoint")
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
