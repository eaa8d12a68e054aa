package inside

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"mydocker/cgroups"
)

const (
	mountV2 = `25 1 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`
	// This project's CI: v1 controllers, name=systemd, cgroup2 at unified.
	mountHybrid = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`
	// systemd's v1 layout: combined hierarchies, a release agent, and the
	// same hierarchy mounted twice.
	mountCombined = `30 25 0:26 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:6 - cgroup cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd
33 25 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct
34 25 0:30 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,net_cls,net_prio
35 25 0:31 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,memory
36 25 0:32 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,cpuset,clone_children
37 25 0:33 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,pids
38 25 0:31 / /mnt/memory-again rw,relatime - cgroup cgroup rw,memory
`
)

func TestCgroupHierarchies(t *testing.T) {
	for _, tc := range []struct {
		name, table string
		want        []cgroupHierarchy
		err         string
	}{
		{name: "v2", table: mountV2, want: []cgroupHierarchy{{}}},
		{name: "hybrid is v1, without the hierarchies the container has no cgroup in", table: mountHybrid, want: []cgroupHierarchy{
			{dir: "cpu", data: "cpu"},
			{dir: "cpuacct", data: "cpuacct"},
			{dir: "cpuset", data: "cpuset"},
			{dir: "memory", data: "memory"},
			{dir: "devices", data: "devices"},
			{dir: "pids", data: "pids"},
		}},
		{name: "combined hierarchies get their links", table: mountCombined, want: []cgroupHierarchy{
			{dir: "cpu,cpuacct", data: "cpu,cpuacct", links: []string{"cpu", "cpuacct"}},
			{dir: "memory", data: "memory"},
			{dir: "cpuset", data: "cpuset,clone_children"},
			{dir: "pids", data: "pids"},
		}},
		{name: "no cgroups", table: "", err: "no cgroup file system"},
		{name: "a hierarchy at /", table: "1 0 0:1 / / rw - cgroup cgroup rw,memory\n", err: "cannot name it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cgroupHierarchies(strings.NewReader(tc.table))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// FuzzCgroupHierarchies: whatever the mount table says, every name made
// under /sys/fs/cgroup is one plain path component.
func FuzzCgroupHierarchies(f *testing.F) {
	for _, s := range []string{mountV2, mountHybrid, mountCombined, "1 0 0:1 / /a/.. rw - cgroup cgroup rw,pids\n", "1 0 0:1 / /x/..,. rw - cgroup cgroup rw,pids\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, table string) {
		hs, err := cgroupHierarchies(strings.NewReader(table))
		if err != nil {
			return
		}
		for _, h := range hs {
			for _, name := range append([]string{h.dir}, h.links...) {
				if len(hs) == 1 && h.dir == "" {
					continue // v2: /sys/fs/cgroup itself
				}
				if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
					t.Fatalf("unsafe name %q from %q", name, table)
				}
			}
		}
	})
}

// On this host, the hierarchies found at the standard place are those
// the mount table lists.
func TestHostCgroupHierarchiesAgreeWithMountTable(t *testing.T) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := cgroupHierarchies(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := cgroups.DetectStandard(); !ok {
		t.Fatal("this host's /sys/fs/cgroup is not in the standard layout")
	}
	got, err := hostCgroupHierarchies()
	if err != nil {
		t.Fatal(err)
	}
	sortH := func(hs []cgroupHierarchy) {
		slices.SortFunc(hs, func(a, b cgroupHierarchy) int { return strings.Compare(a.dir, b.dir) })
	}
	sortH(want)
	sortH(got)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("from the standard place: %+v\nfrom the mount table: %+v", got, want)
	}
}
