package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ciJobWant is what testdata/scripts/ci-job.sh prints with a tool that
// behaves as Docker does.
const ciJobWant = `ready: ready
logs:
started
starting
running: true running
inspect's Id is what run -d printed
ps finds it: 1
ps -a with exited: 0
stopped: exited false 0
ps after stop: 0
the commit runs: built
wait: 3
exit code: 3
images named ci-built: 0
containers: 0
`

// runCIJob runs the script with env added and returns its stdout.
func runCIJob(t *testing.T, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "sh", "testdata/scripts/ci-job.sh")
	c.Env = append(os.Environ(), env...)
	var errb strings.Builder
	c.Stderr = &errb
	out, err := c.Output()
	if err != nil {
		t.Fatalf("ci-job.sh with %q: %v\nstdout: %s\nstderr: %s", env, err, out, errb.String())
	}
	return string(out)
}

// The script a CI job would run, unchanged against mydocker and against
// podman (runc, storage private to the test): the same output from both.
func TestCIJobScriptLikePodman(t *testing.T) {
	e := newEnv(t)
	got := runCIJob(t, "TOOL=mydocker", "IMAGE=busybox", "RUNFLAGS=",
		"MYDOCKER_ROOT="+e.root, "PATH="+filepath.Dir(binary)+":"+os.Getenv("PATH"))
	if got != ciJobWant {
		t.Errorf("mydocker:\n%s\nwant:\n%s", got, ciJobWant)
	}
	e.assertNothingLeft()

	p := newPodman(t)
	p.run("import", busyboxTar(t), "busybox")
	peer := runCIJob(t, append(p.env(),
		"TOOL=podman "+strings.Join(p.args(nil), " "), "IMAGE=localhost/busybox:latest",
		"RUNFLAGS=--cgroup-parent "+p.cgroupParent)...)
	if peer != got {
		t.Errorf("podman printed:\n%s\nmydocker:\n%s", peer, got)
	}
}
