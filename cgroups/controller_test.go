package cgroups

import (
	"strings"
	"testing"
)

// limitSeeds start every limit parser's fuzzing: valid and invalid
// values of each flag, since any flag may be given any of them.
var limitSeeds = []string{"32m", "0.5", "20", "0-1,3", "1g", "-1", "1e9"}

// The controller table names the v1 hierarchies Detect looks for, and
// the controllers a v2 cgroup enables (v1's cpuacct is part of v2's cpu,
// v1's blkio is v2's io, and v2 freezes without a controller; v2's
// devices is a BPF program, never in cgroup.controllers, so never enabled).
func TestControllers(t *testing.T) {
	if got := strings.Join(Subsystems, " "); got != "cpu cpuacct cpuset memory pids blkio freezer devices" {
		t.Errorf("Subsystems %q", got)
	}
	var v2 []string
	for _, c := range controllers {
		if c.inV2() {
			v2 = append(v2, c.v2Name())
		}
	}
	if got := strings.Join(v2, " "); got != "cpu cpuset memory pids io devices" {
		t.Errorf("v2 controllers %q", got)
	}
}
