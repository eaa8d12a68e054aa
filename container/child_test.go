package container

import (
	"os"
	"syscall"
	"testing"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// A child (exec's stub, a container's init) is signalled while it runs
// and never once it is reaped, with or without a pidfd: its pid may then
// be another process's. (Signal 0
// probes: before this was guarded, a released stub's cleared pid made a
// forwarded signal kill(-1), every process on the host.)
func TestChildSignalsOnlyWhileOurs(t *testing.T) {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	for _, pidfd := range []bool{true, false} {
		p, err := startChild("/bin/sleep", []string{"sleep", "100"}, nil, []*os.File{null, null, null}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !pidfd && p.pidfd >= 0 {
			unix.Close(p.pidfd)
			p.pidfd = -1 // a kernel without pidfd_open
		}
		if err := p.signal(syscall.Signal(0)); err != nil {
			t.Fatalf("pidfd %v: probe of the running stub: %v", pidfd, err)
		}
		if err := p.signal(syscall.SIGTERM); err != nil {
			t.Fatalf("pidfd %v: SIGTERM: %v", pidfd, err)
		}
		ws, err := p.wait()
		if err != nil || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
			t.Fatalf("pidfd %v: wait: %v, %v", pidfd, ws, err)
		}
		if err := p.signal(syscall.Signal(0)); !errors.Is(err, errChildDone) {
			t.Errorf("pidfd %v: signal after the reap: %v, want errChildDone", pidfd, err)
		}
		p.release()
		if err := p.signal(syscall.Signal(0)); !errors.Is(err, errChildDone) {
			t.Errorf("pidfd %v: signal after release: %v, want errChildDone", pidfd, err)
		}
	}
}
