//go:build !kube

package main

import (
	"testing"

	"mydocker/internal/linkcheck"
)

// TestCLILeavesOutKubernetesAndTheAssembler walks what mydocker itself
// imports, built as make build builds it (without the kube tag, with
// noassembler), and fails on k8s.io, the kube package or the seccomp
// library: their types and package initialisation would cost every
// command's start, where only play kube and generate kube need the
// first, and a miss of the seccomp cache the last; both run
// mydocker-kube.
func TestCLILeavesOutKubernetesAndTheAssembler(t *testing.T) {
	linkcheck.Forbid(t, "mydocker", []string{"noassembler"}, []string{
		"mydocker/kube/...", "k8s.io/...", "sigs.k8s.io/...",
		"mydocker/container/confine/profile/...", "github.com/elastic/go-seccomp-bpf/...",
	}, "mydocker/pod")
}
