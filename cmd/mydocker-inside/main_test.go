package main

import (
	"testing"

	"mydocker/internal/linkcheck"
)

// hostOnly are packages mydocker-inside must not link: the host's side
// of containers (records, networks, images, the CLI) and the systemd
// cgroup driver's D-Bus client, which `make build` leaves out with the
// tag nosystemd. Init starts on every run and pays for the package
// initialisation of everything it links.
var hostOnly = []string{
	"mydocker/container", "mydocker/network/...", "mydocker/image/...", "mydocker/registry/...",
	"mydocker/kube/...", "mydocker/pod/...", "mydocker/progress/...", "github.com/urfave/cli/...",
	"github.com/godbus/dbus/...", "github.com/coreos/go-systemd/...", "github.com/vishvananda/netlink/...",
	"net/http/...", "k8s.io/...",
	// The crypto module initialises a dozen packages on start;
	// container IDs are made on the host, from getrandom(2) anyway.
	"crypto/...",
	// Init never assembles the seccomp filter: the host hands it over.
	"mydocker/container/confine/profile/...", "github.com/elastic/go-seccomp-bpf/...",
}

// TestInsideLinksOnlyWhatInitNeeds walks what mydocker-inside imports, as
// make builds it, and fails on any package above.
func TestInsideLinksOnlyWhatInitNeeds(t *testing.T) {
	linkcheck.Forbid(t, "mydocker/cmd/mydocker-inside", []string{"nosystemd"}, hostOnly, "mydocker/container/inside")
}

// TestInsideLinksItsStartTuning: init starts on every run, and hugeheap
// and sysmonslack are imported for their init alone, so nothing else
// would notice them gone.
func TestInsideLinksItsStartTuning(t *testing.T) {
	linkcheck.Require(t, "mydocker/cmd/mydocker-inside", []string{"nosystemd"},
		"mydocker/internal/hugeheap", "mydocker/internal/sysmonslack")
}
