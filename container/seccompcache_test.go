package container

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"

	"mydocker/container/spec"
)

func TestCachedSeccompProgram(t *testing.T) {
	old := spec.BuildID
	defer func() { spec.BuildID = old }()
	spec.BuildID = "build-1"
	dir := t.TempDir()
	calls := 0
	assemble := func(caps uint64) ([]unix.SockFilter, error) {
		calls++
		return []unix.SockFilter{{Code: 0x20, K: 4}, {Code: 0x15, Jt: 1, Jf: 2, K: uint32(caps)}, {Code: 0x06, K: 0x7fff0000}}, nil
	}
	want, _ := assemble(7)
	calls = 0
	get := func(caps uint64) []unix.SockFilter {
		t.Helper()
		prog, err := CachedSeccompProgram(dir, assemble)(caps)
		if err != nil {
			t.Fatal(err)
		}
		return prog
	}
	path := filepath.Join(dir, "7")
	for _, tc := range []struct {
		name   string
		before func()
		caps   uint64
		calls  int // assemblies so far
	}{
		{"the first container assembles", nil, 7, 1},
		{"the next reads the cache", nil, 7, 1},
		{"other capabilities", nil, 9, 2},
		{"each set has its file", nil, 7, 2},
		{"and 9 too", nil, 9, 2},
		{"7's filter under 9's name", func() { copyTestFile(t, path, filepath.Join(dir, "9")) }, 9, 3},
		{"a flipped byte", func() { flip(t, path, -1) }, 7, 4},
		{"a torn write", func() { truncate(t, path, 10) }, 7, 5},
		{"an empty file", func() { truncate(t, path, 0) }, 7, 6},
		{"another build", func() { spec.BuildID = "build-2" }, 7, 7},
	} {
		if tc.before != nil {
			tc.before()
		}
		got := get(tc.caps)
		if calls != tc.calls {
			t.Errorf("%s: %d assemblies, want %d", tc.name, calls, tc.calls)
		}
		w := want
		if tc.caps != 7 {
			w, _ = assemble(tc.caps)
			calls--
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s: filter %v, want %v", tc.name, got, w)
		}
	}
	// Without an assembler, a hit is the filter and a miss an error:
	// init never gets to assemble one.
	if prog, err := CachedSeccompProgram(dir, nil)(7); err != nil || !reflect.DeepEqual(prog, want) {
		t.Errorf("read only, cached: %v, %v; want the filter", prog, err)
	}
	if prog, err := CachedSeccompProgram(dir, nil)(5); err == nil || prog != nil {
		t.Errorf("read only, not cached: %v, %v; want an error", prog, err)
	}
	// The directory is made when first needed.
	fresh := filepath.Join(t.TempDir(), "seccomp")
	if _, err := CachedSeccompProgram(fresh, assemble)(7); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(fresh, "7")); err != nil {
		t.Errorf("nothing cached in a new directory: %v", err)
	}
	// A plain go build caches nothing.
	spec.BuildID = ""
	other := t.TempDir()
	if _, err := CachedSeccompProgram(other, assemble)(7); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(other, "7")); !os.IsNotExist(err) {
		t.Errorf("cache written without a build ID: %v", err)
	}
}

func copyTestFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err == nil {
		err = os.WriteFile(to, data, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func flip(t *testing.T, path string, at int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)+at] ^= 0xff
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, path string, n int64) {
	t.Helper()
	if err := os.Truncate(path, n); err != nil {
		t.Fatal(err)
	}
}
