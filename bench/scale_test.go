package main

import (
	"fmt"
	"os/exec"
	"testing"
	"time"
)

// The podman clean-up waits for processes that name its directory.
func TestProcessNaming(t *testing.T) {
	mark := fmt.Sprintf("bench-test-mark-%d", time.Now().UnixNano())
	cmd := exec.Command("sh", "-c", "sleep 30", mark)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if pid := processNaming(mark); pid != cmd.Process.Pid {
		t.Errorf("processNaming found %d, want sh's %d", pid, cmd.Process.Pid)
	}
	if err := waitUnused(mark, 200*time.Millisecond); err == nil {
		t.Error("waitUnused returned while sh still names the mark")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if err := waitUnused(mark, time.Second); err != nil {
		t.Errorf("after the process ended: %v", err)
	}
}
