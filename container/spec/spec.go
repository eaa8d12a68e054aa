package spec

import "mydocker/container/security"

// Mount is a bind mount of a host path into the container (a volume).
type Mount struct {
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
	ReadOnly    bool   `json:"ReadOnly"`
}

// InitConfig is everything init needs. The host writes it to init's fd 3
// as one length-framed JSON message (see sync.go), so every argument
// arrives whole.
type InitConfig struct {
	Rootfs string   `json:"rootfs"` // host path of the mounted overlay (merged)
	Mounts []Mount  `json:"mounts"`
	Args   []string `json:"args"`
	Env    []string `json:"env"`
	Cwd    string   `json:"cwd"`
	// User is user[:group] as -u or the image gave it, resolved by init
	// in the container's own /etc/passwd and /etc/group.
	User     string `json:"user,omitempty"`
	Hostname string `json:"hostname"`
	Tty      bool   `json:"tty"`
	// ConsoleSize is the caller's window size, set on the pty before the
	// command starts so it never sees a 0x0 terminal.
	ConsoleSize *ConsoleSize      `json:"consoleSize,omitempty"`
	Debug       bool              `json:"debug"`
	Security    security.Security `json:"security"`
	// CgroupFiles are the v1 tasks files init writes "0" to, joining its
	// cgroups itself before anything else (see cgroups.Placement).
	CgroupFiles []string `json:"cgroupFiles,omitempty"`
}

// ExecConfig is the process `exec` starts in a running container. The
// host hands it to nsexec in a memfd (see sync.go).
type ExecConfig struct {
	Args        []string          `json:"args"`
	Env         []string          `json:"env"`
	Cwd         string            `json:"cwd"`
	User        string            `json:"user,omitempty"` // as InitConfig's
	Tty         bool              `json:"tty"`
	Interactive bool              `json:"interactive"`
	ConsoleSize *ConsoleSize      `json:"consoleSize,omitempty"`
	Security    security.Security `json:"security"`
}

// ConsoleSize is a terminal's size in characters.
type ConsoleSize struct {
	Rows uint16 `json:"rows"`
	Cols uint16 `json:"cols"`
}
