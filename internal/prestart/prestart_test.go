package prestart_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"mydocker/container"
	"mydocker/container/spec"
	"mydocker/internal/prestart"
)

// The constants prestart mirrors agree with their owners'.
func TestMirrorsItsOwners(t *testing.T) {
	if got := prestart.InitCommandForTest; got != spec.InitCommand {
		t.Errorf("initCommand %q, spec.InitCommand %q", got, spec.InitCommand)
	}
	if got := prestart.LogArgForTest; got != spec.LogArg {
		t.Errorf("logArg %q, spec.LogArg %q", got, spec.LogArg)
	}
	if got := prestart.InsideNameForTest; got != container.InsideName {
		t.Errorf("insideName %q, container.InsideName %q", got, container.InsideName)
	}
	var flags uintptr
	for _, ns := range container.DefaultNamespaces {
		flags |= map[string]uintptr{"uts": syscall.CLONE_NEWUTS, "pid": syscall.CLONE_NEWPID, "mnt": syscall.CLONE_NEWNS,
			"ipc": syscall.CLONE_NEWIPC, "net": syscall.CLONE_NEWNET}[ns.Type]
	}
	if flags != prestart.FreshNamespacesForTest {
		t.Errorf("freshNamespaces %#x, container.DefaultNamespaces %#x", prestart.FreshNamespacesForTest, flags)
	}
}

// A program that does not call Begin has nothing to take.
func TestTakeWithoutBegin(t *testing.T) {
	if s := prestart.Take(); s != nil {
		t.Fatalf("Take = %+v, want nil", s)
	}
	if err := prestart.Err(); err != nil {
		t.Fatalf("Err = %v, want nil", err)
	}
}

// Discard kills and reaps the process and closes every descriptor.
func TestDiscard(t *testing.T) {
	sleep := exec.Command("sleep", "100")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	var fds []int
	for i := 0; i < 3; i++ {
		f, err := os.Open(filepath.Join("/proc/self/fd"))
		if err != nil {
			t.Fatal(err)
		}
		fd, err := syscall.Dup(int(f.Fd()))
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		fds = append(fds, fd)
	}
	s := &prestart.Started{Pid: sleep.Process.Pid, Exe: fds[0], Config: fds[1], Sync: fds[2], Ends: []int{}}
	s.Discard()
	if err := syscall.Kill(sleep.Process.Pid, 0); err != syscall.ESRCH {
		t.Errorf("after Discard, kill(%d, 0) = %v, want ESRCH: not killed and reaped", sleep.Process.Pid, err)
	}
	for _, fd := range fds {
		var st syscall.Stat_t
		if err := syscall.Fstat(fd, &st); err != syscall.EBADF {
			t.Errorf("fd %d still open after Discard", fd)
		}
	}
}
