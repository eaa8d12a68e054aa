package main

import (
	"strings"
	"testing"
	"time"
)

func TestStepKey(t *testing.T) {
	for _, tc := range []struct{ cmd, want string }{
		{"clone(CLONE_NEWUTS|CLONE_NEWPID): mydocker init", "clone(CLONE_NEWUTS|CLONE_NEWPID): mydocker init"},
		{"mkdir -p /sys/fs/cgroup/cpu/mydocker/e9f5601fcaec9e803b54834b8b1532aaf6258f8c8de79beb2bccb9078340d7fd",
			"mkdir -p /sys/fs/cgroup/cpu/mydocker/<id>"},
		{"nsenter -t 6916 -n ip link set eth0 up", "nsenter -t N -n ip link set eth0 up"},
		{"umount /tmp/mydocker-bench-1/root/overlay2/e9f5601fcaec9e803b54834b8b1532aaf6258f8c8de79beb2bccb9078340d7fd/merged",
			"umount <root>/overlay2/<id>/merged"},
	} {
		if got := stepKey(tc.cmd); got != tc.want {
			t.Errorf("stepKey(%q) = %q, want %q", tc.cmd, got, tc.want)
		}
	}
	if got := stepKey(strings.Repeat("x", 100)); len(got) != 72 {
		t.Errorf("a long step is not cut: %d", len(got))
	}
}

func TestStartOf(t *testing.T) {
	stderr := `trace ch.1  namespaces   1.000ms  clone(CLONE_NEWUTS): mydocker init
a warning
trace ch.4  rootfs       0.500ms  cd /m && pivot_root . .
trace ch.3  pipe         0.000ms  execve(["true"]) with env PATH
trace ch.5  overlay      2.000ms  umount /m
`
	steps, err := startOf(strings.NewReader(stderr))
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 3 || steps[1].Duration != 500*time.Microsecond || steps[2].Cmd != `execve(["true"]) with env PATH` {
		t.Fatalf("steps %+v: want the three up to execve", steps)
	}
	if _, err := startOf(strings.NewReader("trace ch.1  namespaces   1.000ms  clone()\n")); err == nil {
		t.Error("a trace without execve is accepted")
	}
}
