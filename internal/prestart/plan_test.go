package prestart

import (
	"strings"
	"syscall"
	"testing"
)

func TestPlanFor(t *testing.T) {
	const fresh = freshNamespaces
	const hostNet = freshNamespaces &^ syscall.CLONE_NEWNET
	noEnv := map[string]string{}
	tests := []struct {
		args string // split on spaces
		env  map[string]string
		want Plan
		ok   bool
	}{
		{"mydocker run busybox true", noEnv, Plan{Flags: fresh}, true},
		{"mydocker run --rm --network none busybox true", noEnv, Plan{Flags: fresh}, true},
		{"mydocker run --rm --network=none busybox true", noEnv, Plan{Flags: fresh}, true},
		{"mydocker run --net host busybox true", noEnv, Plan{Flags: hostNet}, true},
		{"mydocker run --network host --network bridge busybox true", noEnv, Plan{Flags: fresh}, true},
		{"mydocker run -it busybox sh", noEnv, Plan{Flags: fresh, Tty: true, Stdin: true}, true},
		{"mydocker run -ti busybox sh", noEnv, Plan{Flags: fresh, Tty: true, Stdin: true}, true},
		{"mydocker run -i --rm busybox cat", noEnv, Plan{Flags: fresh, Stdin: true}, true},
		{"mydocker run --tty busybox sh", noEnv, Plan{Flags: fresh, Tty: true}, true},
		{"mydocker --debug run busybox true", noEnv, Plan{Flags: fresh, Debug: true}, true},
		{"mydocker --root /x --log-level=info run busybox true", noEnv, Plan{Flags: fresh}, true},
		{"mydocker --cgroup-manager cgroupfs run busybox true", noEnv, Plan{Flags: fresh}, true},
		{"mydocker --mode docker run busybox true", noEnv, Plan{Flags: fresh}, true},
		// Value flags are skipped with their value, whatever it looks like.
		{"mydocker run --name -d -e -d=1 -m 64m -v /a:/b busybox true", noEnv, Plan{Flags: fresh}, true},
		{"mydocker run -net none busybox true", noEnv, Plan{Flags: fresh}, true},
		// What follows the image is the command's.
		{"mydocker run busybox sh -c -d", noEnv, Plan{Flags: fresh}, true},
		{"mydocker run -- busybox -d", noEnv, Plan{Flags: fresh}, true},

		{"mydocker run -d busybox true", noEnv, Plan{}, false},
		{"mydocker run --detach busybox true", noEnv, Plan{}, false},
		{"mydocker run -dit busybox sh", noEnv, Plan{}, false},
		{"mydocker run -itd busybox sh", noEnv, Plan{}, false},
		{"mydocker run --rm=false busybox true", noEnv, Plan{}, false},
		{"mydocker run --network container:web busybox true", noEnv, Plan{}, false},
		{"mydocker run --ipc host busybox true", noEnv, Plan{}, false},
		{"mydocker run --pid=container:web busybox true", noEnv, Plan{}, false},
		{"mydocker run --uts host busybox true", noEnv, Plan{}, false},
		{"mydocker run --pod p busybox true", noEnv, Plan{}, false},
		{"mydocker run", noEnv, Plan{}, false},
		{"mydocker run --rm", noEnv, Plan{}, false},
		{"mydocker run --name", noEnv, Plan{}, false},
		{"mydocker run --", noEnv, Plan{}, false},
		{"mydocker run - busybox", noEnv, Plan{}, false},
		{"mydocker create busybox true", noEnv, Plan{}, false},
		{"mydocker exec c true", noEnv, Plan{}, false},
		{"mydocker container run busybox true", noEnv, Plan{}, false},
		{"mydocker", noEnv, Plan{}, false},
		{"mydocker --trace run busybox true", noEnv, Plan{}, false},
		{"mydocker --debug=true run busybox true", noEnv, Plan{}, false},
		{"mydocker --cgroup-manager systemd run busybox true", noEnv, Plan{}, false},
		{"mydocker --mode course run busybox true", noEnv, Plan{}, false},
		{"mydocker --root", noEnv, Plan{}, false},
		{"mydocker --bogus run busybox true", noEnv, Plan{}, false},
		{"mydocker run busybox true", map[string]string{"MYDOCKER_TRACE": "1"}, Plan{}, false},
		{"mydocker run busybox true", map[string]string{"MYDOCKER_MODE": "course"}, Plan{}, false},
		{"mydocker run busybox true", map[string]string{"MYDOCKER_MODE": "docker"}, Plan{Flags: fresh}, true},
		{"mydocker run busybox true", map[string]string{"MYDOCKER_CGROUP_MANAGER": "systemd"}, Plan{}, false},
	}
	for _, tt := range tests {
		env := func(k string) string { return tt.env[k] }
		got, ok := PlanFor(strings.Split(tt.args, " "), env)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("PlanFor(%q, %v) = %+v, %v; want %+v, %v", tt.args, tt.env, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzPlanFor: whatever the command line, a plan is for a run, with a
// mount, pid, uts and ipc namespace of its own, and never for one whose first flag
// detaches it.
func FuzzPlanFor(f *testing.F) {
	for _, s := range []string{
		"mydocker run --rm busybox true", "mydocker run -dit busybox", "mydocker --debug run -i --net=host x",
		"mydocker run --name -d x", "mydocker run -- x", "mydocker --root r run -ti -e A=b x sh -c -d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, " ")
		p, ok := PlanFor(args, func(string) string { return "" })
		if !ok {
			return
		}
		const own = syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC
		if p.Flags&own != own || p.Flags&^freshNamespaces != 0 {
			t.Fatalf("PlanFor(%q): clone flags %#x", line, p.Flags)
		}
		run := -1 // the command, after the program's name and global flags
		for i := 1; i < len(args) && run < 0; i++ {
			if args[i] == "run" {
				run = i
			}
		}
		if run < 1 {
			t.Fatalf("PlanFor(%q): a plan for no run", line)
		}
		// A detached run's first flag, -d, is a flag, not a value.
		if next := args[run+1]; next == "-d" || next == "--detach" || strings.HasPrefix(next, "-d") && allShortBools(next[1:]) {
			t.Fatalf("PlanFor(%q): a plan for a detached run", line)
		}
	})
}
