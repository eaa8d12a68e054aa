//go:build !kube

package main

import (
	"testing"

	"mydocker/internal/linkcheck"
)

// TestCLILeavesOutKubernetesAndTheAssembler walks what mydocker itself
// imports, built as make build builds it (without the kube tag, with
// noassembler and notransfer), and fails on k8s.io, the kube package, the
// seccomp library or the code that moves images (the registry client,
// TLS, compressors, archive formats, progress bars): their types and
// package initialisation would cost every command's start, where only
// play kube and generate kube need the first, a miss of the seccomp cache
// the second, and pull, push, load, save, import, commit and login the
// rest; all of them run mydocker-kube.
func TestCLILeavesOutKubernetesAndTheAssembler(t *testing.T) {
	linkcheck.Forbid(t, "mydocker", []string{"noassembler", "notransfer"}, []string{
		"mydocker/kube/...", "k8s.io/...", "sigs.k8s.io/...",
		"mydocker/container/confine/profile/...", "github.com/elastic/go-seccomp-bpf/...",
		"mydocker/registry/...", "mydocker/progress/...",
		"github.com/google/go-containerregistry/pkg/v1/remote/...",
		"github.com/google/go-containerregistry/pkg/v1/layout/...",
		"github.com/google/go-containerregistry/pkg/v1/tarball/...",
		"github.com/google/go-containerregistry/pkg/v1/partial/...",
		"github.com/google/go-containerregistry/pkg/authn/...",
		// Their regular expressions were compiled at every start; image
		// references are parsed by hand (image/reference.go).
		"github.com/google/go-containerregistry/pkg/name/...", "github.com/opencontainers/go-digest/...",
		"github.com/klauspost/compress/...", "github.com/vbauerster/mpb/...",
		"net/http/...", "crypto/tls/...", "compress/gzip/...",
	}, "mydocker/pod")
}

// TestCLILinksItsStartTuning: hugeheap and sysmonslack are imported for
// their init alone, so nothing else would notice them gone.
func TestCLILinksItsStartTuning(t *testing.T) {
	linkcheck.Require(t, "mydocker", []string{"noassembler", "notransfer"},
		"mydocker/internal/hugeheap", "mydocker/internal/sysmonslack")
}
