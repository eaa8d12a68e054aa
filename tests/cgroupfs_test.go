package tests

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"

	"mydocker/cgroups"
)

// The cgroup file system inside a container (issue 14): its own cgroups,
// read-only, at /sys/fs/cgroup; and pids limits that count the
// container's processes, never mydocker's own threads. Each check selects
// the files by the host's hierarchy version (v1 here, v2 in the VM);
// both branches assert real values.

// hostIsV2 tells whether the host has one unified cgroup v2 hierarchy.
func hostIsV2() bool {
	_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return err == nil
}

// limitFile is one limit as a file inside the container (under
// /sys/fs/cgroup), the same file on the host, and the value both show.
type limitFile struct {
	sub, inside, file, want string
}

// limitFiles are the files of -m 64m --cpus 0.5 --pids-limit 7
// --cpuset-cpus 0 on this host's hierarchy version.
func limitFiles() []limitFile {
	if hostIsV2() {
		return []limitFile{
			{"memory", "memory.max", "memory.max", strconv.Itoa(64 << 20)},
			{"cpu", "cpu.max", "cpu.max", "50000 100000"},
			{"pids", "pids.max", "pids.max", "7"},
			{"cpuset", "cpuset.cpus", "cpuset.cpus", "0"},
		}
	}
	return []limitFile{
		{"memory", "memory/memory.limit_in_bytes", "memory.limit_in_bytes", strconv.Itoa(64 << 20)},
		{"cpu", "cpu/cpu.cfs_quota_us", "cpu.cfs_quota_us", "50000"},
		{"cpu", "cpu/cpu.cfs_period_us", "cpu.cfs_period_us", "100000"},
		{"pids", "pids/pids.max", "pids.max", "7"},
		{"cpuset", "cpuset/cpuset.cpus", "cpuset.cpus", "0"},
	}
}

var limitFlags = []string{"-m", "64m", "--cpus", "0.5", "--pids-limit", "7", "--cpuset-cpus", "0"}

// pidsFile is a pids controller file as the container names it.
func pidsFile(name string) string {
	if hostIsV2() {
		return "/sys/fs/cgroup/" + name
	}
	return "/sys/fs/cgroup/pids/" + name
}

func TestCgroupFSShowsOwnLimits(t *testing.T) {
	e := newEnv(t)
	id := e.ok(append(append([]string{"run", "-d"}, limitFlags...), "busybox", "sleep", "1000")...)
	for _, f := range limitFiles() {
		inside := e.ok("exec", id, "cat", "/sys/fs/cgroup/"+f.inside)
		host := readTrim(t, filepath.Join(cgroupDir(f.sub, id), f.file))
		if inside != f.want || host != f.want {
			t.Errorf("%s: inside %q, on the host %q, want %q", f.inside, inside, host, f.want)
		}
	}
	// The first process sees them too, and sits at the root of its own
	// cgroup namespace in every hierarchy.
	out := e.ok(append(append([]string{"run", "--rm"}, limitFlags...), "busybox", "sh", "-c",
		"cat /sys/fs/cgroup/"+limitFiles()[0].inside+"; cat /proc/self/cgroup")...)
	lines := strings.Split(out, "\n")
	if lines[0] != limitFiles()[0].want {
		t.Errorf("first process reads %s = %q", limitFiles()[0].inside, lines[0])
	}
	for _, l := range lines[1:] {
		if !strings.HasSuffix(l, ":/") {
			t.Errorf("/proc/self/cgroup line %q: not the namespace's root", l)
		}
	}
	// Mounted read-only, nosuid, nodev, noexec: each cgroup mount (and
	// v1's tmpfs holding them).
	mounts := e.ok("exec", id, "grep", " /sys/fs/cgroup", "/proc/self/mountinfo")
	n := 0
	for _, l := range strings.Split(mounts, "\n") {
		f := strings.Fields(l)
		if len(f) < 6 {
			t.Fatalf("mountinfo line %q", l)
		}
		n++
		for _, opt := range []string{"ro", "nosuid", "nodev", "noexec"} {
			if !hasOpt(f[5], opt) {
				t.Errorf("%s mounted %s: not %s", f[4], f[5], opt)
			}
		}
		if f[3] != "/" {
			t.Errorf("%s shows %s of its hierarchy, want the namespace's root", f[4], f[3])
		}
	}
	if want := cgroupMountsWanted(t); n != want {
		t.Errorf("%d mounts at /sys/fs/cgroup, want %d:\n%s", n, want, mounts)
	}
}

// cgroupMountsWanted counts the mounts a container gets at /sys/fs/cgroup
// on this host: v2's one; on v1 a tmpfs plus each hierarchy holding a
// controller mydocker gives containers a cgroup in.
func cgroupMountsWanted(t *testing.T) int {
	if hostIsV2() {
		return 1
	}
	ms, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup"))
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[string]bool{}
	for _, m := range ms {
		for _, o := range strings.Split(m.VFSOptions, ",") {
			if contains(cgroups.Subsystems, o) {
				dirs[filepath.Base(m.Mountpoint)] = true
			}
		}
	}
	return 1 + len(dirs)
}

func hasOpt(opts, want string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

func TestCgroupFSReadOnly(t *testing.T) {
	e := newEnv(t)
	id := e.ok(append(append([]string{"run", "-d"}, limitFlags...), "busybox", "sleep", "1000")...)
	for _, f := range limitFiles() {
		r := e.run(1, "exec", id, "sh", "-c", "echo 1 > /sys/fs/cgroup/"+f.inside)
		if !strings.Contains(r.stderr, "Read-only file system") {
			t.Errorf("writing %s: %q, want EROFS", f.inside, r.stderr)
		}
		if host := readTrim(t, filepath.Join(cgroupDir(f.sub, id), f.file)); host != f.want {
			t.Errorf("%s changed to %q from inside", f.file, host)
		}
	}
	// No child cgroup to escape the limits into, and no remount or
	// unmount (that needs CAP_SYS_ADMIN, which a container lacks).
	memDir := "/sys/fs/cgroup/memory"
	if hostIsV2() {
		memDir = "/sys/fs/cgroup"
	}
	r := e.run(1, "exec", id, "mkdir", memDir+"/escape")
	if !strings.Contains(r.stderr, "Read-only file system") {
		t.Errorf("mkdir a child cgroup: %q, want EROFS", r.stderr)
	}
	if r := e.run(1, "exec", id, "sh", "-c", "mount -o remount,rw "+memDir+" || umount "+memDir+" || exit 1"); r.code != 1 {
		t.Errorf("remount/umount of %s succeeded", memDir)
	}
	if out := e.ok("exec", id, "cat", "/sys/fs/cgroup/"+limitFiles()[0].inside); out != limitFiles()[0].want {
		t.Errorf("after the attempts %s reads %q", limitFiles()[0].inside, out)
	}
	if _, err := os.Stat(filepath.Join(cgroupDir("memory", id), "escape")); !os.IsNotExist(err) {
		t.Errorf("child cgroup made from inside: %v", err)
	}

	// --privileged makes it writable, as in Docker: the container can
	// make child cgroups, seen on the host below its own. (On v2 the
	// namespace root's own limits stay the host's: the kernel treats a
	// cgroup namespace as a delegation boundary, nsdelegate.)
	priv := e.ok("run", "-d", "--privileged", "--pids-limit", "7", "busybox", "sleep", "1000")
	pidsDir := filepath.Dir(pidsFile("pids.max"))
	e.ok("exec", priv, "mkdir", pidsDir+"/sub")
	if _, err := os.Stat(filepath.Join(cgroupDir("pids", priv), "sub")); err != nil {
		t.Errorf("--privileged made a child cgroup, not seen on the host: %v", err)
	}
	e.ok("exec", priv, "rmdir", pidsDir+"/sub")
	e.ok("rm", "-f", id, priv)
}

func TestCgroupFSNoEscape(t *testing.T) {
	e := newEnv(t)
	other := e.ok("run", "-d", "-m", "96m", "busybox", "sleep", "1000")
	id := e.ok("run", "-d", "-m", "48m", "busybox", "sleep", "1000")
	memLimit := "memory/memory.limit_in_bytes"
	if hostIsV2() {
		memLimit = "memory.max"
	}
	// Its root is its own cgroup: its limit, not the host's (unlimited)
	// nor the other container's.
	if got := e.ok("exec", id, "cat", "/sys/fs/cgroup/"+memLimit); got != strconv.Itoa(48<<20) {
		t.Errorf("%s inside = %q, want the container's own 48m", memLimit, got)
	}
	// Nothing below it: no other container's cgroup, no host cgroup.
	depth := map[bool]string{true: "1", false: "2"}[hostIsV2()]
	if out := e.ok("exec", id, "find", "/sys/fs/cgroup", "-mindepth", depth, "-type", "d"); out != "" {
		t.Errorf("cgroups visible below the container's own:\n%s", out)
	}
	out := e.ok("exec", id, "sh", "-c", "find /sys/fs/cgroup | grep -e "+other[:12]+" -e "+id[:12]+" -e mydocker; cat /proc/self/cgroup | grep -e "+id[:12]+" -e mydocker; true")
	if out != "" {
		t.Errorf("other containers or the host's tree named inside: %s", out)
	}
	// Only the container's own processes are listed: pid 1 (sleep) and
	// the cat itself, as the container's pid namespace numbers them.
	procs := strings.Fields(e.ok("exec", id, "cat", pidsFile("cgroup.procs")))
	if len(procs) != 2 || procs[0] != "1" {
		t.Errorf("cgroup.procs inside: %v", procs)
	}
	if !hostIsV2() {
		// v1: the hierarchies where the container has no cgroup of its own
		// would show mydocker's, the host's tree: not mounted.
		ls := strings.Fields(e.ok("exec", id, "ls", "/sys/fs/cgroup"))
		for _, name := range ls {
			if (name == "systemd" || name == "unified" || name == "devices") && !contains(cgroups.Subsystems, name) {
				t.Errorf("/sys/fs/cgroup/%s: a hierarchy the container has no cgroup in", name)
			}
		}
		for _, want := range []string{"memory", "pids", "cpuset"} {
			if !contains(ls, want) {
				t.Errorf("/sys/fs/cgroup lacks %s: %v", want, ls)
			}
		}
	}
	// Mounting the hierarchy anew from inside, which would show the
	// namespace's root again at best, is refused without CAP_SYS_ADMIN.
	fs := map[bool]string{true: "cgroup2", false: "cgroup"}[hostIsV2()]
	e.run(1, "exec", id, "sh", "-c", "mkdir -p /tmp/cg && mount -t "+fs+" -o memory none /tmp/cg || mount -t "+fs+" none /tmp/cg || exit 1")
	e.ok("rm", "-f", id, other)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestPidsLimitCountsContainerProcesses: on v2 init is created inside
// its cgroup, so a pids.max written before init is set up counts the
// threads of mydocker's own runtime, and init died ("container init
// exited before starting the command"). The limit must count the
// container's processes exactly, and exec must work in a container near
// its limit.
func TestPidsLimitCountsContainerProcesses(t *testing.T) {
	e := newEnv(t)
	// The smallest limit: the command alone.
	if out := e.ok("run", "--rm", "--pids-limit", "1", "busybox", "echo", "hi"); out != "hi" {
		t.Fatalf("--pids-limit 1: %q", out)
	}
	// With 5, the shell and four more processes, and not one more: the
	// fifth fork fails and the shell gives up (exit 2).
	r := e.run(2, "run", "--rm", "--pids-limit", "5", "busybox", "sh", "-c",
		"for i in 1 2 3 4 5 6; do sleep 100 & read n < "+pidsFile("pids.current")+"; echo $i:$n; done")
	if got := strings.TrimSpace(r.stdout); got != "1:2\n2:3\n3:4\n4:5" {
		t.Errorf("forks under --pids-limit 5 (started:pids.current):\n%s", got)
	}
	if !strings.Contains(r.stderr, "can't fork") {
		t.Errorf("fifth fork: %q", r.stderr)
	}

	// exec into a container one process below its limit: the exec'd
	// command takes the last slot, and cannot fork further.
	id := e.ok("run", "-d", "--pids-limit", "2", "busybox", "sleep", "1000")
	if out := e.ok("exec", id, "echo", "in"); out != "in" {
		t.Errorf("exec at pids limit - 1: %q", out)
	}
	r = e.run(2, "exec", id, "sh", "-c", "sleep 100 & echo forked")
	if strings.Contains(r.stdout, "forked") || !strings.Contains(r.stderr, "can't fork") {
		t.Errorf("exec'd shell forked past --pids-limit 2: %q %q", r.stdout, r.stderr)
	}
	if got := readTrim(t, filepath.Join(cgroupDir("pids", id), "pids.max")); got != "2" {
		t.Errorf("host pids.max %q", got)
	}
	e.ok("rm", "-f", id)
	assertNoCgroup(t, id)
}
