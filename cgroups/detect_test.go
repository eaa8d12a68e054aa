package cgroups

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

const hybridTable = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`

const comountedTable = `25 21 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
28 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct
29 25 0:26 / /sys/fs/cgroup/memory rw,nosuid shared:10 - cgroup cgroup rw,memory
`

const v2Table = `22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw
26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`

func TestDetect(t *testing.T) {
	tests := []struct {
		name   string
		table  string
		mode   Mode
		mounts map[string]string
		err    string
	}{
		{"hybrid is v1", hybridTable, V1, map[string]string{
			"cpu": "/sys/fs/cgroup/cpu", "cpuacct": "/sys/fs/cgroup/cpuacct", "cpuset": "/sys/fs/cgroup/cpuset",
			"memory": "/sys/fs/cgroup/memory", "pids": "/sys/fs/cgroup/pids"}, ""},
		{"co-mounted cpu,cpuacct", comountedTable, V1, map[string]string{
			"cpu": "/sys/fs/cgroup/cpu,cpuacct", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct", "memory": "/sys/fs/cgroup/memory"}, ""},
		{"unified", v2Table, V2, map[string]string{"": "/sys/fs/cgroup"}, ""},
		{"none", "22 1 0:21 / /sys rw - sysfs sysfs rw\n", 0, nil, "no cgroup"},
		{"escaped mount point", `40 31 0:37 / /mnt/cg\040v1 rw - cgroup cgroup rw,memory` + "\n", V1,
			map[string]string{"memory": "/mnt/cg v1"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mode, mounts, err := Detect(strings.NewReader(tc.table))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || mode != tc.mode || !reflect.DeepEqual(mounts, tc.mounts) {
				t.Fatalf("Detect = %v %v %v; want %v %v", mode, mounts, err, tc.mode, tc.mounts)
			}
		})
	}
}

func FuzzDetect(f *testing.F) {
	f.Add(hybridTable)
	f.Add(v2Table)
	f.Add(comountedTable)
	f.Fuzz(func(t *testing.T, table string) {
		mode, mounts, err := Detect(strings.NewReader(table))
		if err != nil {
			return
		}
		if mode != V1 && mode != V2 {
			t.Fatalf("mode %v", mode)
		}
		if len(mounts) == 0 {
			t.Fatal("no mounts without error")
		}
	})
}

// On this host, the few statfs calls find what the mount table says.
func TestDetectStandardAgreesWithMountTable(t *testing.T) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wantMode, wantMounts, err := Detect(f)
	if err != nil {
		t.Fatal(err)
	}
	mode, mounts, ok := detectStandard("/sys/fs/cgroup")
	if !ok {
		t.Fatal("this host's /sys/fs/cgroup is not in the standard layout")
	}
	if mode != wantMode || !reflect.DeepEqual(mounts, wantMounts) {
		t.Fatalf("detectStandard: %v %v; the mount table: %v %v", mode, mounts, wantMode, wantMounts)
	}
	// Anything else is left to the mount table.
	if _, _, ok := detectStandard(t.TempDir()); ok {
		t.Fatal("detectStandard accepted a plain directory")
	}
}
