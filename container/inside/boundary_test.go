package inside

import (
	"go/build"
	"strings"
	"testing"
)

// TestImportsStayInside checks the process boundary: nothing the inside
// imports, directly or not, is the host side's package container, which
// holds the record store and its locks.
func TestImportsStayInside(t *testing.T) {
	seen := map[string]bool{}
	var walk func(path, from string)
	walk = func(path, from string) {
		if seen[path] || !strings.HasPrefix(path, "mydocker") {
			return
		}
		seen[path] = true
		if path == "mydocker/container" || strings.HasPrefix(path, "mydocker/network") {
			t.Errorf("package inside reaches %s (through %s)", path, from)
			return
		}
		pkg, err := build.Import(path, ".", 0)
		if err != nil {
			t.Fatalf("import %s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			walk(imp, path)
		}
	}
	walk("mydocker/container/inside", "")
}
