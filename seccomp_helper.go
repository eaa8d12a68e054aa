//go:build noassembler

package main

import (
	"golang.org/x/sys/unix"

	"mydocker/container"
)

// The CLI make builds leaves the seccomp library out (tag noassembler):
// its package initialisation cost each command's start more than the
// rest of it. On a miss of the root's cache it starts mydocker-kube,
// the whole CLI, installed beside it, to assemble a filter
// (container.AssemblerAt); the cache makes that once per capability set
// and build in a state root.
var inProcessAssembler container.SeccompProgram

func init() {
	container.AssembleSeccomp = func(caps uint64) ([]unix.SockFilter, error) {
		p, _ := container.BesideSelf(container.AssemblerProgram)
		return container.AssemblerAt(p)(caps)
	}
}
