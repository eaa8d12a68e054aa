//go:build !kube

package main

import (
	"go/build"
	"strings"
	"testing"
)

// TestCLILeavesOutKubernetes walks what mydocker itself imports (built
// without the kube tag, as make build builds it) and fails on k8s.io or
// the kube package: their types and package initialisation would cost
// every command's start, where only play kube and generate kube need
// them, and those run mydocker-kube.
func TestCLILeavesOutKubernetes(t *testing.T) {
	seen := map[string]bool{}
	var walk func(pkg *build.Package, from string)
	walk = func(pkg *build.Package, from string) {
		for _, imp := range pkg.Imports {
			if imp == "mydocker/kube" || strings.HasPrefix(imp, "k8s.io/") || strings.HasPrefix(imp, "sigs.k8s.io/") {
				t.Errorf("mydocker links %s (imported by %s)", imp, from)
				continue
			}
			if seen[imp] || !strings.HasPrefix(imp, "mydocker") {
				continue
			}
			seen[imp] = true
			p, err := build.Import(imp, ".", 0)
			if err != nil {
				t.Fatalf("import %s: %v", imp, err)
			}
			walk(p, imp)
		}
	}
	main, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	walk(main, "mydocker")
	if !seen["mydocker/pod"] {
		t.Fatal("the walk never reached mydocker/pod: it checked nothing")
	}
}
