package main

import (
	"go/build"
	"strings"
	"testing"
)

// linkedElsewhere are packages the monitor must not link: the CLI's own
// (images, registries, Kubernetes, pods, the flag parser), the inside's
// (init, the seccomp library and the nsenter C constructor, which would
// make the monitor a cgo program). Each would stay resident, initialised,
// in every monitor for as long as its container runs.
var linkedElsewhere = []string{
	"mydocker/image", "mydocker/registry", "mydocker/kube", "mydocker/pod", "mydocker/progress",
	"mydocker/container/inside", "mydocker/container/confine", "mydocker/container/nsenter",
	"github.com/urfave/cli", "k8s.io/", "github.com/elastic/go-seccomp-bpf",
	"github.com/google/go-containerregistry/pkg/v1/remote", "net/http",
}

// TestMonitorLinksOnlyHostContainerCode walks what the monitor imports,
// through every mydocker package, and fails on any package above.
func TestMonitorLinksOnlyHostContainerCode(t *testing.T) {
	seen := map[string]bool{}
	var walk func(path, from string)
	walk = func(path, from string) {
		for _, bad := range linkedElsewhere {
			if path == bad || (strings.HasSuffix(bad, "/") && strings.HasPrefix(path, bad)) || strings.HasPrefix(path, bad+"/") {
				t.Errorf("mydocker-monitor links %s (imported by %s)", path, from)
				return
			}
		}
		if seen[path] || !strings.HasPrefix(path, "mydocker") {
			return
		}
		seen[path] = true
		pkg, err := build.Import(path, ".", 0)
		if err != nil {
			t.Fatalf("import %s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			walk(imp, path)
		}
	}
	walk("mydocker/cmd/mydocker-monitor", "")
	if !seen["mydocker/container"] {
		t.Fatal("the walk never reached mydocker/container: it checked nothing")
	}
}
