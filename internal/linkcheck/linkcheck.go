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
	ctx := build.Default
	ctx.BuildTags = append(append([]string(nil), ctx.BuildTags...), tags...)
	seen := map[string]bool{}
	var walk func(path, from string)
	walk = func(path, from string) {
		for _, bad := range forbidden {
			tree, isTree := strings.CutSuffix(bad, "/...")
			if path == bad || isTree && (path == tree || strings.HasPrefix(path, tree+"/")) {
				t.Errorf("%s links %s (imported by %s)", program, path, from)
				return
			}
		}
		if seen[path] || !strings.HasPrefix(path, "mydocker") {
			return
		}
		seen[path] = true
		pkg, err := ctx.Import(path, ".", 0)
		if err != nil {
			t.Fatalf("import %s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			walk(imp, path)
		}
	}
	walk(program, "")
	if !seen[reach] {
		t.Fatalf("the walk never reached %s: it checked nothing", reach)
	}
}
