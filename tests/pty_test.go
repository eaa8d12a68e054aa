package tests

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// runInPty runs mydocker on a fresh 40x120 pseudo-terminal, as a user at a
// terminal would, types input, and returns everything shown and the exit code.
func runInPty(t *testing.T, e *env, input string, args ...string) (string, int) {
	t.Helper()
	return runInPtyFunc(t, e, func(master *os.File, _ func() string) {
		if input != "" {
			if _, err := master.WriteString(input); err != nil {
				t.Error(err)
			}
		}
	}, args...)
}

// runInPtyFunc is runInPty with the user's side as a function: it gets the
// terminal's master and what has been shown so far.
func runInPtyFunc(t *testing.T, e *env, user func(master *os.File, shown func() string), args ...string) (string, int) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 120}); err != nil {
		t.Fatal(err)
	}
	// A hang guard, not a time limit: make vmtest's emulated CPU takes
	// tens of seconds for what takes one here.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := e.cmd(ctx, args...)
	c.Stdin, c.Stdout, c.Stderr = slave, slave, slave
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	var mu sync.Mutex
	var out bytes.Buffer
	shown := func() string {
		mu.Lock()
		defer mu.Unlock()
		return out.String()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			mu.Lock()
			out.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return // EIO once mydocker, the last holder of the slave, exits
			}
		}
	}()
	user(master, shown)
	err = c.Wait()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	if ctx.Err() != nil {
		t.Fatalf("mydocker %q timed out; output %q", args, out.String())
	}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return shown(), c.ProcessState.ExitCode()
}

// The container's terminal follows the user's: a resize of the outer
// terminal (SIGWINCH to mydocker) reaches the container's pty.
func TestRunTtyFollowsResize(t *testing.T) {
	e := newEnv(t)
	out, code := runInPtyFunc(t, e, func(master *os.File, shown func() string) {
		if _, err := master.WriteString("size\n"); err != nil {
			t.Error(err)
			return
		}
		waitFor(t, "first size", func() bool { return strings.Contains(shown(), "40 120") })
		if err := unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 51, Col: 133}); err != nil {
			t.Error(err)
			return
		}
		// The resize is asynchronous: ask until the new size shows.
		waitFor(t, "new size inside", func() bool {
			if strings.Contains(shown(), "51 133") {
				return true
			}
			master.WriteString("size\n") //nolint:errcheck // retried
			time.Sleep(50 * time.Millisecond)
			return false
		})
		master.WriteString("exit\n") //nolint:errcheck // the run ends either way
	}, "run", "--rm", "-it", "busybox", "sh", "-c", `while read cmd; do [ "$cmd" = exit ] && exit 0; stty size; done`)
	if code != 0 || !strings.Contains(out, "51 133") {
		t.Fatalf("exit %d, output %q", code, out)
	}
}
