package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Package-level values are made as every process starts, on the path of
// every run and exec: a sentinel error made with github.com/pkg/errors
// records the stack it was made on, which walks the binary's tables and
// faults in their pages; a regular expression compiled there costs its
// compilation. Sentinels use the standard library's errors.New, and
// expressions compile on first use (utils.LazyRegexp) or are loops.
func TestNoCostlyPackageLevelValues(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "bench" || d.Name() == "scripts") && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		costly := map[string]string{} // local import name -> why
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			name := filepath.Base(p)
			if imp.Name != nil {
				name = imp.Name.Name
			}
			switch p {
			case "github.com/pkg/errors":
				costly[name] = "records a stack as the process starts: use the standard library's errors.New"
			case "regexp":
				costly[name] = "compiles as the process starts: use utils.LazyRegexp or a loop"
			}
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				for _, v := range spec.(*ast.ValueSpec).Values {
					call, ok := v.(*ast.CallExpr)
					if !ok {
						continue
					}
					sel, ok := call.Fun.(*ast.SelectorExpr)
					if !ok {
						continue
					}
					if pkg, ok := sel.X.(*ast.Ident); ok && costly[pkg.Name] != "" {
						t.Errorf("%s: package-level %s.%s %s", fset.Position(call.Pos()), pkg.Name, sel.Sel.Name, costly[pkg.Name])
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
