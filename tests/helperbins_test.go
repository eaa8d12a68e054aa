package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The programs under testdata/ that tests run inside containers (from a
// volume, so they must be static): attacker, rawudp, sysprobe. Each is
// built once per test binary. vmtest builds them on the host and names
// their directory in MYDOCKER_TEST_HELPERS, since compiling there, under
// an emulated CPU and maybe without the host's build cache, takes
// minutes per program.
var (
	helperMu   sync.Mutex
	helperDir  string
	helperErrs = map[string]error{}
)

// helperBin returns the path of testdata/<name>, built statically.
func helperBin(t *testing.T, name string) string {
	t.Helper()
	if dir := os.Getenv("MYDOCKER_TEST_HELPERS"); dir != "" {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("prebuilt test helper: %v", err)
		}
		return p
	}
	helperMu.Lock()
	defer helperMu.Unlock()
	if helperDir == "" {
		dir, err := os.MkdirTemp("", "mydocker-helpers-")
		if err != nil {
			t.Fatal(err)
		}
		helperDir = dir
	}
	p := filepath.Join(helperDir, name)
	err, done := helperErrs[name]
	if !done {
		cmd := exec.Command("go", "build", "-o", p, "./testdata/"+name)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
		if out, berr := cmd.CombinedOutput(); berr != nil {
			err = fmt.Errorf("build test helper %s: %v: %s", name, berr, out)
		}
		helperErrs[name] = err
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// installHelper copies testdata/<name>, built, into dir: for a test whose
// container may write to the directory it runs the helper from.
func installHelper(t *testing.T, name, dir string) {
	t.Helper()
	data, err := os.ReadFile(helperBin(t, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o755); err != nil {
		t.Fatal(err)
	}
}
