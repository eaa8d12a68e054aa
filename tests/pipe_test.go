package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// pipeline runs `mydocker ARGS | head -n LINES` in bash, without stdin,
// and returns what head printed, mydocker's stderr and exit code.
func (e *env) pipeline(lines int, args ...string) (out, stderr string, code int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	script := fmt.Sprintf(`"$MYDOCKER" %s 2>"$ERRFILE" </dev/null | head -n %d; echo "exit ${PIPESTATUS[0]}"`, strings.Join(quoted, " "), lines)
	errFile := e.t.TempDir() + "/stderr"
	c := exec.CommandContext(ctx, "bash", "-c", script)
	c.Env = append(os.Environ(), "MYDOCKER_ROOT="+e.root, "MYDOCKER="+binary, "ERRFILE="+errFile)
	raw, err := c.Output()
	if err != nil {
		e.t.Fatalf("mydocker %v | head: %v: %s", args, err, raw)
	}
	text := strings.TrimSpace(string(raw))
	i := strings.LastIndex(text, "exit ")
	if i < 0 {
		e.t.Fatalf("no exit status in %q", text)
	}
	if _, err := fmt.Sscanf(text[i:], "exit %d", &code); err != nil {
		e.t.Fatalf("exit status in %q: %v", text, err)
	}
	errText, _ := os.ReadFile(errFile)
	return strings.TrimSpace(text[:i]), strings.TrimSpace(string(errText)), code
}

// `mydocker run --rm busybox yes | head` ends as `yes | head` does: the
// container's command learns that its reader is gone, mydocker records
// its exit, removes it and exits with its code. mydocker was killed by
// SIGPIPE instead (exit 141), which killed the container and left it
// behind, exited with 137, whatever --rm said.
func TestRunIntoClosedPipe(t *testing.T) {
	e := newEnv(t)
	// A command that is not the container's first process dies of
	// SIGPIPE, as it would writing to head directly.
	out, stderr, code := e.pipeline(1, "run", "--rm", "--network", "none", "busybox", "sh", "-c", `yes; echo "yes ended $?" >&2`)
	if out != "y" || code != 0 || !strings.Contains(stderr, "yes ended 141") {
		t.Fatalf("run --rm sh -c yes | head -n 1: out %q, exit %d, stderr %q; want y, 0 and yes killed by SIGPIPE", out, code, stderr)
	}
	e.assertNothingLeft()
	// The first process ignores SIGPIPE (the kernel sends a namespace's
	// init no signal it has no handler for), so busybox yes sees EPIPE
	// and exits 1, as under Docker; the exit is recorded, not a kill.
	out, stderr, code = e.pipeline(2, "run", "--name", "piped", "--network", "none", "busybox", "yes")
	if out != "y\ny" || code == 141 || code == 137 {
		t.Fatalf("run yes | head -n 2: out %q, exit %d, stderr %q", out, code, stderr)
	}
	st := e.state("piped")
	if st["Status"] != "exited" || int(st["ExitCode"].(float64)) != code {
		t.Fatalf("record after the pipe closed: %v; mydocker exited %d", st, code)
	}
	e.ok("rm", "piped")
	e.assertNothingLeft()
}

// exec into a closed pipe ends the same way: the exec'd command dies of
// SIGPIPE and mydocker exits with its status, leaving no process behind.
func TestExecIntoClosedPipe(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "--network", "none", "busybox", "sleep", "1000")
	out, stderr, code := e.pipeline(1, "exec", id, "sh", "-c", `yes; echo "yes ended $?" >&2`)
	if out != "y" || code != 0 || !strings.Contains(stderr, "yes ended 141") {
		t.Fatalf("exec sh -c yes | head -n 1: out %q, exit %d, stderr %q", out, code, stderr)
	}
	if out, _, code = e.pipeline(1, "exec", id, "yes"); out != "y" || code != 141 {
		t.Fatalf("exec yes | head -n 1: out %q, exit %d; want y and 141 (yes killed by SIGPIPE)", out, code)
	}
	if ps := e.ok("exec", id, "ps", "-o", "comm"); strings.Contains(ps, "yes") {
		t.Fatalf("an exec'd yes outlived the pipe:\n%s", ps)
	}
	e.ok("rm", "-f", id)
	e.assertNothingLeft()
}
