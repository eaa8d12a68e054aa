// Package constant holds the fixed names of mydocker's on-disk layout and
// the exit codes of its contract, so every package spells them the same way.
package constant

import "path/filepath"

const (
	// DefaultRoot is the state root when neither --root nor MYDOCKER_ROOT is set.
	DefaultRoot = "/var/lib/mydocker"
	// RootEnv overrides the state root.
	RootEnv = "MYDOCKER_ROOT"

	// DefaultPath is the PATH a container gets when the user sets none.
	DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

	// ConfigName is the container record inside <root>/containers/<id>.
	ConfigName = "config.json"
	// LogName is the container's stdout and stderr log beside its record.
	LogName = "container.log"

	// CgroupParent is the directory under each hierarchy that holds one cgroup per container.
	CgroupParent = "mydocker"
)

// Exit codes of the contract, shared with Docker.
const (
	ExitMydocker      = 125 // mydocker itself failed
	ExitNotExecutable = 126 // the command exists but cannot be executed
	ExitNotFound      = 127 // the command does not exist
)

// Layout names every directory under one state root.
type Layout struct{ Root string }

// ImageDir holds <name>.tar images, the blog's image store.
func (l Layout) ImageDir() string { return filepath.Join(l.Root, "image") }

// LayerDir holds unpacked layers keyed by content digest, shared between images.
func (l Layout) LayerDir() string { return filepath.Join(l.Root, "layers") }

// OverlayDir holds one {upper,work,merged} tree per container.
func (l Layout) OverlayDir() string { return filepath.Join(l.Root, "overlay2") }

// ContainerDir holds one record directory per container.
func (l Layout) ContainerDir() string { return filepath.Join(l.Root, "containers") }

// NetworkDir holds network definitions and address allocations.
func (l Layout) NetworkDir() string { return filepath.Join(l.Root, "network") }
