package inside

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"mydocker/constant"
	"mydocker/container/spec"
)

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	exe := write("exe", 0o755)
	plain := write("plain", 0o644)
	tests := []struct {
		name, path string
		want       string
		code       int
	}{
		{"exe", dir, exe, 0},
		{exe, "", exe, 0},
		{"missing", dir, "", constant.ExitNotFound},
		{"/no/such", dir, "", constant.ExitNotFound},
		{"plain", dir, "", constant.ExitNotExecutable},
		{plain, dir, "", constant.ExitNotExecutable},
		{dir, "", "", constant.ExitNotExecutable},
		// A later PATH entry that works wins over an earlier unusable one.
		{"exe", dir + "/plain:" + dir, exe, 0},
	}
	for _, tc := range tests {
		got, err := lookPath(tc.name, tc.path)
		if tc.code == 0 {
			if err != nil || got != tc.want {
				t.Errorf("lookPath(%q, %q) = %q, %v; want %q", tc.name, tc.path, got, err, tc.want)
			}
			continue
		}
		var ie *spec.ExitError
		if !errors.As(err, &ie) || ie.Code != tc.code {
			t.Errorf("lookPath(%q, %q) error %v, want code %d", tc.name, tc.path, err, tc.code)
		}
	}
}
