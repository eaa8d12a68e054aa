package cgroups

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlacement(t *testing.T) {
	base := t.TempDir()
	mounts := map[string]string{"memory": filepath.Join(base, "memory"), "pids": filepath.Join(base, "pids")}
	m := NewV1(mounts, Name("abc"))
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	files := m.Placement().Tasks
	want := []string{filepath.Join(mounts["memory"], "mydocker", "abc", "tasks"), filepath.Join(mounts["pids"], "mydocker", "abc", "tasks")}
	if strings.Join(files, ",") != strings.Join(want, ",") {
		t.Fatalf("files %v, want %v", files, want)
	}
	if err := JoinSelf(files); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if got := read(t, filepath.Dir(f), "tasks"); got != "0" {
			t.Errorf("%s = %q, want 0 (the calling thread)", f, got)
		}
	}
	if got := m.Placement().JoinFiles(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("v1 join files %v, want the tasks files %v", got, want)
	}
	if f, err := m.Placement().OpenDir(); f != nil || err != nil {
		t.Errorf("v1 OpenDir = %v, %v: v1 has no cgroup2 directory to clone into", f, err)
	}
	root := fakeV2(t, "memory")
	p := NewV2(root, Name("abc")).Placement()
	if p.Tasks != nil {
		t.Error("v2 cannot move a thread alone")
	}
	dir := filepath.Join(root, "mydocker", "abc")
	if p.Dir != dir {
		t.Errorf("v2 dir %q, want %q", p.Dir, dir)
	}
	if got := p.JoinFiles(); len(got) != 1 || got[0] != filepath.Join(dir, "cgroup.procs") {
		t.Errorf("v2 join files %v, want its cgroup.procs", got)
	}
}

func TestEarlyAndLateLimits(t *testing.T) {
	r := Resources{Memory: 64 << 20, PidsLimit: 7}
	if e := r.Early(); e.PidsLimit != 0 || e.Memory != r.Memory {
		t.Errorf("Early() = %+v: want all but the pids limit", e)
	}
	base := t.TempDir()
	v1 := NewV1(map[string]string{"memory": filepath.Join(base, "memory"), "pids": filepath.Join(base, "pids")}, Name("abc"))
	v2 := NewV2(fakeV2(t, "memory pids"), Name("abc"))
	for _, tc := range []struct {
		name string
		m    Manager
		dir  string
	}{
		{"v1", v1, v1.Paths()["pids"]},
		{"v2", v2, v2.Paths()[""]},
	} {
		if err := tc.m.Create(); err != nil {
			t.Fatal(err)
		}
		early := r.Early()
		if err := tc.m.Set(&early); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(tc.dir, "pids.max")); !os.IsNotExist(err) {
			t.Errorf("%s: pids.max written before init is set up (%v)", tc.name, err)
		}
		if err := SetLate(tc.m, &r); err != nil {
			t.Fatal(err)
		}
		if got := read(t, tc.dir, "pids.max"); got != "7" {
			t.Errorf("%s: pids.max = %q after SetLate, want 7", tc.name, got)
		}
		if err := SetLate(tc.m, &Resources{}); err != nil {
			t.Errorf("%s: SetLate without a limit: %v", tc.name, err)
		}
	}
}

func TestJoinOpen(t *testing.T) {
	dir := t.TempDir()
	var files []*os.File
	for _, name := range []string{"tasks", "cgroup.procs"} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if err := JoinOpen(files); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tasks", "cgroup.procs"} {
		if got := read(t, dir, name); got != "0" {
			t.Errorf("%s = %q, want 0 (the writer)", name, got)
		}
	}
	if _, err := files[0].Write([]byte("x")); err == nil {
		t.Error("JoinOpen left a cgroup file open: the command would inherit it")
	}
}
