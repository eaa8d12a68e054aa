package container

import (
	"os"
	"slices"
	"testing"

	"mydocker/cgroups"
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
