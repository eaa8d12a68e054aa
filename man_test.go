package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The man page is built from the CLI's definitions: every visible
// command has its section, man renders it without a warning, and the
// binary make build writes carries no generator (no go-md2man in it).
func TestManPage(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "mydocker-man")
	build := exec.Command("go", "build", "-tags", "manpage netgo osusergo", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build with -tags manpage: %v\n%s", err, out)
	}
	page, err := exec.Command(bin, "__manpage").Output()
	if err != nil {
		t.Fatalf("__manpage: %v", err)
	}
	text := string(page)
	if !strings.Contains(text, ".TH MYDOCKER 1 ") || !strings.Contains(text, "\n.SH DESCRIPTION\n") {
		t.Errorf("man page header:\n%.300s", text)
	}
	for _, c := range newApp().Commands {
		if !c.Hidden && c.Name != "help" && !strings.Contains(text, "\n.SH "+c.Name+"\n") {
			t.Errorf("man page has no section for %s", c.Name)
		}
	}
	path := filepath.Join(t.TempDir(), "mydocker.1")
	if err := os.WriteFile(path, page, 0o644); err != nil {
		t.Fatal(err)
	}
	var rendered, warnings bytes.Buffer
	man := exec.Command("man", "--warnings", "-l", path)
	man.Env = append(os.Environ(), "MANWIDTH=80", "MANPAGER=cat", "PAGER=cat")
	man.Stdout, man.Stderr = &rendered, &warnings
	if err := man.Run(); err != nil || warnings.Len() > 0 || !strings.Contains(rendered.String(), "daemonless") {
		t.Errorf("man -l: %v, warnings %q", err, warnings.String())
	}

	// make build's binary (the tests run after it) is free of the generator.
	info, err := exec.Command("go", "version", "-m", "mydocker").Output()
	if err != nil {
		t.Fatalf("go version -m mydocker (run make build first): %v", err)
	}
	if strings.Contains(string(info), "go-md2man") {
		t.Errorf("the built binary carries the man page generator:\n%s", info)
	}
}
