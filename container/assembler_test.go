package container

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"mydocker/container/spec"
)

// AssemblerAt takes the filter a program prints, and refuses, with its
// reason, a missing program, a failed one, and output that is not whole
// instructions; the program gets the capabilities in hex as its argument.
func TestAssemblerAt(t *testing.T) {
	dir := t.TempDir()
	want := []unix.SockFilter{{Code: 0x20, K: 4}, {Code: 0x06, K: 0x7fff0000}}
	if err := os.WriteFile(filepath.Join(dir, "filter"), spec.FilterBytes(want), 0o600); err != nil {
		t.Fatal(err)
	}
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := script("good", `[ "$1" = a80425fb ] || { echo "caps $1" >&2; exit 1; }; cat `+filepath.Join(dir, "filter"))
	prog, err := AssemblerAt(good)(0xa80425fb)
	if err != nil || len(prog) != len(want) || prog[0] != want[0] || prog[1] != want[1] {
		t.Fatalf("good assembler: %v, %v", prog, err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "absent"), "is missing"},
		{script("fails", "echo no policy >&2; exit 3"), "no policy"},
		{script("torn", "printf 1234567"), "7 bytes are not a filter"},
		{script("empty", "true"), "0 bytes are not a filter"},
	} {
		if _, err := AssemblerAt(tc.path)(0xa80425fb); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", filepath.Base(tc.path), err, tc.want)
		}
	}
}
