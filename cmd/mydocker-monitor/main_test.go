package main

import (
	"testing"

	"mydocker/internal/linkcheck"
)

// linkedElsewhere are packages the monitor must not link: the CLI's own
// (images, registries, Kubernetes, pods, the flag parser), the inside's
// (init and the seccomp library). Each would stay resident, initialised,
// in every monitor for as long as its container runs.
var linkedElsewhere = []string{
	"mydocker/image/...", "mydocker/registry/...", "mydocker/kube/...", "mydocker/pod/...", "mydocker/progress/...",
	"mydocker/container/inside/...", "mydocker/container/confine/...",
	"github.com/urfave/cli/...", "k8s.io/...", "github.com/elastic/go-seccomp-bpf/...",
	"github.com/google/go-containerregistry/pkg/v1/remote/...", "net/http/...",
	// Its huge pages would stay resident in every monitor.
	"mydocker/internal/hugeheap",
}

// TestMonitorLinksOnlyHostContainerCode walks what the monitor imports,
// through every mydocker package, and fails on any package above.
func TestMonitorLinksOnlyHostContainerCode(t *testing.T) {
	linkcheck.Forbid(t, "mydocker/cmd/mydocker-monitor", nil, linkedElsewhere, "mydocker/container")
}

// TestMonitorLinksSysmonSlack: it is imported for its init alone, so
// nothing else would notice it gone.
func TestMonitorLinksSysmonSlack(t *testing.T) {
	linkcheck.Require(t, "mydocker/cmd/mydocker-monitor", nil, "mydocker/internal/sysmonslack")
}
