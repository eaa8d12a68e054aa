// Package linkcheck is for tests that keep a program's imports lean: each
// of mydocker's programs (the CLI, mydocker-inside, mydocker-monitor)
// starts on the path of every container, and every package it links
// initialises on each start, whether it is used or not.
package linkcheck

import (
	"go/build"
	"strings"
	"testing"
)

// Forbid walks what program imports, through every mydocker package,
// under the build tags given, and fails t on each import of a package
// in forbidden: a path, or a pattern as go list takes it ("net/http/..."
// is net/http and every package below it). reach is a mydocker
// package the walk must get to, so that a walk that went nowhere fails.
func Forbid(t testing.TB, program string, tags []string, forbidden []string, reach string) {
	t.Helper()
	seen := walk(t, program, tags, func(path, from string) bool {
		for _, bad := range forbidden {
			tree, isTree := strings.CutSuffix(bad, "/...")
			if path == bad || isTree && (path == tree || strings.HasPrefix(path, tree+"/")) {
				t.Errorf("%s links %s (imported by %s)", program, path, from)
				return false
			}
		}
		return true
	})
	if !seen[reach] {
		t.Fatalf("the walk never reached %s: it checked nothing", reach)
	}
}

// Require fails t unless program, built with the tags given, links each
// package in required, which it imports itself or through mydocker's
// packages: the packages imported for their init alone, which nothing
// else would notice were gone.
func Require(t testing.TB, program string, tags []string, required ...string) {
	t.Helper()
	seen := walk(t, program, tags, func(string, string) bool { return true })
	for _, pkg := range required {
		if !seen[pkg] {
			t.Errorf("%s does not link %s", program, pkg)
		}
	}
}

// walk visits each import of program and of the mydocker packages it
// reaches, with the package importing it, under the build tags given;
// it goes into a mydocker package only when visit returns true. It
// returns every package visited.
func walk(t testing.TB, program string, tags []string, visit func(path, from string) bool) map[string]bool {
	t.Helper()
	ctx := build.Default
	ctx.BuildTags = append(append([]string(nil), ctx.BuildTags...), tags...)
	seen := map[string]bool{}
	var step func(path, from string)
	step = func(path, from string) {
		if !visit(path, from) || seen[path] {
			return
		}
		seen[path] = true
		if !strings.HasPrefix(path, "mydocker") {
			return
		}
		pkg, err := ctx.Import(path, ".", 0)
		if err != nil {
			t.Fatalf("import %s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			step(imp, path)
		}
	}
	step(program, "")
	return seen
}
