// Package container creates, runs and tears down containers: the record of
// each container, its overlay workspace, its volumes, the parent side that
// starts the init process in new namespaces, and init itself.
package container

import "mydocker/container/security"

// Mount is a bind mount of a host path into the container (a volume).
type Mount struct {
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
	ReadOnly    bool   `json:"ReadOnly"`
}

// Namespace names one namespace of the container: Path empty means a new
// one, otherwise the namespace at Path is joined (pods, exec).
type Namespace struct {
	Type string `json:"type"` // uts, pid, mnt, ipc, net, cgroup
	Path string `json:"path,omitempty"`
}

// InitConfig is everything init needs, sent as one JSON message over the
// sync socket so that every argument arrives whole.
type InitConfig struct {
	Rootfs   string   `json:"rootfs"` // host path of the mounted overlay (merged)
	Mounts   []Mount  `json:"mounts"`
	Args     []string `json:"args"`
	Env      []string `json:"env"`
	Cwd      string   `json:"cwd"`
	Hostname string   `json:"hostname"`
	Tty      bool     `json:"tty"`
	// ConsoleSize is the caller's window size, set on the pty before the
	// command starts so it never sees a 0x0 terminal.
	ConsoleSize *ConsoleSize      `json:"consoleSize,omitempty"`
	Debug       bool              `json:"debug"`
	Security    security.Security `json:"security"`
	// CgroupFiles are the v1 tasks files init writes "0" to, joining its
	// cgroups itself before anything else (see cgroups.SelfJoinFiles).
	CgroupFiles []string `json:"cgroupFiles,omitempty"`
}

// ConsoleSize is a terminal's size in characters.
type ConsoleSize struct {
	Rows uint16 `json:"rows"`
	Cols uint16 `json:"cols"`
}
