//go:build !noassembler

package main

import (
	"mydocker/container"
	"mydocker/container/confine/profile"
)

// This CLI links the seccomp assembler (package profile): mydocker-kube,
// and a plain go build, which is then all of mydocker in one program.
// The CLI make builds (tag noassembler) does not: see
// seccomp_helper.go.
var inProcessAssembler container.SeccompProgram = profile.Program

func init() { container.AssembleSeccomp = profile.Program }
