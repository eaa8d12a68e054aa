package container

import (
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"

	"mydocker/cgroups"
	"mydocker/internal/prestart"
)

// Which containers get their init started early, and in which new
// namespaces: none that joins another's, nor one whose /dev/shm is
// mounted at its start, nor any on a host where init could only be moved
// into its cgroup from outside.
func TestEarlyInitFor(t *testing.T) {
	all := []string{"uts", "pid", "mnt", "ipc", "net"}
	for _, c := range []struct {
		name string
		cfg  Config
		want []string // nil: none started early
	}{
		{"defaults", Config{}, all},
		{"network none", Config{Network: "none"}, all},
		{"a bridge", Config{Network: "bridge"}, all},
		{"host network", Config{Network: ModeHost}, []string{"uts", "pid", "mnt", "ipc"}},
		{"host pid and uts", Config{PidMode: ModeHost, UTSMode: ModeHost}, []string{"mnt", "ipc", "net"}},
		{"everything the host's", Config{Network: ModeHost, IpcMode: ModeHost, PidMode: ModeHost, UTSMode: ModeHost}, []string{"mnt"}},
		{"another container's network", Config{Network: ModeContainer + "web"}, nil},
		{"another container's pid", Config{PidMode: ModeContainer + "web"}, nil},
		{"another container's ipc", Config{IpcMode: ModeContainer + "web"}, nil},
		{"another container's uts", Config{UTSMode: ModeContainer + "web"}, nil},
		{"shareable ipc", Config{IpcMode: ModeShareable}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := EarlyInitFor(&c.cfg, cgroups.DriverCgroupfs)
			want := c.want
			if !cgroups.JoinsLate(cgroups.DriverCgroupfs) {
				want = nil // v2: init is created in its cgroup
			}
			if ok != (want != nil) || !slices.Equal(got, want) {
				t.Errorf("EarlyInitFor = %v, %v; want %v", got, ok, want)
			}
		})
	}
	if _, ok := EarlyInitFor(&Config{}, cgroups.DriverSystemd); ok {
		t.Error("the systemd driver (v2 only): an init started early")
	}
}

// An early init is taken only by the container it was started for: the
// same new namespaces, terminal and stdin.
func TestEarlyInitFits(t *testing.T) {
	joined, err := os.Open("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	defer joined.Close()
	fresh := func(types ...string) []Namespace {
		var ns []Namespace
		for _, t := range types {
			ns = append(ns, Namespace{Type: t})
		}
		return ns
	}
	e := &EarlyInit{namespaces: []string{"uts", "pid", "mnt", "ipc", "net"}, tty: true, stdin: true}
	for _, c := range []struct {
		name       string
		cfg        Config
		namespaces []Namespace
		stdin      bool
		want       bool
	}{
		{"the same", Config{Tty: true}, fresh("uts", "pid", "mnt", "ipc", "net"), true, true},
		{"no tty", Config{}, fresh("uts", "pid", "mnt", "ipc", "net"), true, false},
		{"no stdin", Config{Tty: true}, fresh("uts", "pid", "mnt", "ipc", "net"), false, false},
		{"the host's network", Config{Tty: true}, fresh("uts", "pid", "mnt", "ipc"), true, false},
		{"a joined network", Config{Tty: true}, append(fresh("uts", "pid", "mnt", "ipc"), Namespace{Type: "net", File: joined}), true, false},
		{"shareable ipc", Config{Tty: true, IpcMode: ModeShareable}, fresh("uts", "pid", "mnt", "ipc", "net"), true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := e.fits(&Record{Config: c.cfg}, c.namespaces, c.stdin); got != c.want {
				t.Errorf("fits = %v, want %v", got, c.want)
			}
		})
	}
}

// An init started before the command line was parsed is taken only if
// it is the one asked for; otherwise it is killed, reaped and closed.
func TestAdoptPrestarted(t *testing.T) {
	saved := inside.view
	t.Cleanup(func() { inside.view = saved })
	fresh := []string{"uts", "pid", "mnt", "ipc", "net"}
	freshFlags, _, err := cloneFlags([]Namespace{{Type: "uts"}, {Type: "pid"}, {Type: "mnt"}, {Type: "ipc"}, {Type: "net"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		plan       prestart.Plan
		namespaces []string
		tty, stdin bool
		debug      bool
		taken      bool
	}{
		{"the same", prestart.Plan{Flags: freshFlags, Stdin: true}, fresh, false, true, false, true},
		{"other namespaces", prestart.Plan{Flags: freshFlags}, fresh[:4], false, false, false, false},
		{"no tty", prestart.Plan{Flags: freshFlags, Tty: true}, fresh, false, false, false, false},
		{"stdin", prestart.Plan{Flags: freshFlags}, fresh, false, true, false, false},
		{"its log", prestart.Plan{Flags: freshFlags}, fresh, false, false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inside.view = nil
			sleep := exec.Command("sleep", "100")
			if err := sleep.Start(); err != nil {
				t.Fatal(err)
			}
			pid := sleep.Process.Pid
			defer syscall.Kill(pid, syscall.SIGKILL) //nolint:errcheck // may be reaped already
			var fds []int
			for i := 0; i < 4; i++ {
				fd, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
				if err != nil {
					t.Fatal(err)
				}
				fds = append(fds, fd)
			}
			pre := &prestart.Started{Plan: tt.plan, Pid: pid, Exe: fds[0], Config: fds[1], Sync: fds[2], Ends: fds[3:]}
			proc, ends, ok := adoptPrestarted(pre, tt.namespaces, tt.tty, tt.stdin, tt.debug)
			if ok != tt.taken {
				t.Fatalf("taken = %v, want %v", ok, tt.taken)
			}
			if !ok {
				if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
					t.Errorf("kill(%d, 0) = %v, want ESRCH: the init not taken was not killed and reaped", pid, err)
				}
				var st syscall.Stat_t
				for _, fd := range fds {
					if err := syscall.Fstat(fd, &st); err != syscall.EBADF {
						t.Errorf("fd %d of the init not taken is still open", fd)
					}
				}
				return
			}
			if proc.Pid != pid || proc.configPipe == nil || proc.syncSock == nil || len(ends) != 1 || inside.view == nil {
				t.Fatalf("taken as %+v, ends %v, view %v", proc, ends, inside.view)
			}
			closeAll(append(ends, proc.configPipe, proc.syncSock, inside.view.f)...)
			syscall.Kill(pid, syscall.SIGKILL) //nolint:errcheck // reaped next
			sleep.Wait()                       //nolint:errcheck // killed
		})
	}
}
