package tests

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cgroupDir is container id's cgroup for a v1 subsystem (on a v2 host
// every subsystem shares one directory; with the systemd driver, the
// cgroup inside its scope).
func cgroupDir(sub, id string) string {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		if systemdDriver() {
			return filepath.Join(scopeDir(id), "container")
		}
		return filepath.Join("/sys/fs/cgroup/mydocker", id)
	}
	return filepath.Join("/sys/fs/cgroup", sub, "mydocker", id)
}

// systemdDriver reports whether the suite's containers get the systemd
// cgroup driver: by default where systemd is init on a v2 host (the
// suite's systemd run in the VM), unless MYDOCKER_CGROUP_MANAGER says.
func systemdDriver() bool {
	switch os.Getenv("MYDOCKER_CGROUP_MANAGER") {
	case "systemd":
		return true
	case "cgroupfs":
		return false
	}
	fi, err := os.Stat("/run/systemd/system")
	return err == nil && fi.IsDir() && hostIsV2()
}

// scopeDir is the cgroup of container id's systemd scope.
func scopeDir(id string) string {
	return filepath.Join("/sys/fs/cgroup/system.slice", "mydocker-"+id+".scope")
}

// readLimit reads a v1 limit file of container id's cgroup, or on a v2
// host the file that holds the same limit, in v1's format: so one test
// checks both versions against the same values.
func readLimit(t *testing.T, sub, id, v1file string) string {
	t.Helper()
	dir := cgroupDir(sub, id)
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err != nil {
		return readTrim(t, filepath.Join(dir, v1file))
	}
	switch v1file {
	case "memory.limit_in_bytes":
		return readTrim(t, filepath.Join(dir, "memory.max"))
	case "cpu.cfs_quota_us", "cpu.cfs_period_us":
		f := strings.Fields(readTrim(t, filepath.Join(dir, "cpu.max"))) // "QUOTA PERIOD"
		if len(f) != 2 {
			t.Fatalf("cpu.max of %s: %v", id[:12], f)
		}
		if v1file == "cpu.cfs_period_us" {
			return f[1]
		}
		if f[0] == "max" {
			return "-1"
		}
		return f[0]
	case "cpuacct.usage": // nanoseconds; v2 counts microseconds
		for _, line := range strings.Split(readTrim(t, filepath.Join(dir, "cpu.stat")), "\n") {
			if v, ok := strings.CutPrefix(line, "usage_usec "); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				return strconv.FormatInt(n*1000, 10)
			}
		}
		t.Fatalf("cpu.stat of %s has no usage_usec", id[:12])
	}
	return readTrim(t, filepath.Join(dir, v1file))
}

func readTrim(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

func assertNoCgroup(t *testing.T, id string) {
	t.Helper()
	for _, sub := range []string{"memory", "cpu", "cpuacct", "cpuset", "pids"} {
		if _, err := os.Stat(cgroupDir(sub, id)); !os.IsNotExist(err) {
			t.Errorf("cgroup %s left: %v", cgroupDir(sub, id), err)
		}
	}
}

func TestMemoryLimitOOM(t *testing.T) {
	e := newEnv(t)
	// The shell keeps 64 MiB in a variable: more than the limit.
	e.run(137, "run", "--name", "hog", "-m", "32m", "busybox", "sh", "-c",
		`x=$(head -c 67108864 /dev/zero | tr '\0' a); echo survived ${#x}`)
	st := e.state("hog")
	if st["OOMKilled"] != true || st["ExitCode"].(float64) != 137 {
		t.Fatalf("hog state %v", st)
	}
	out := e.ok("run", "--name", "small", "-mem", "32M", "busybox", "sh", "-c",
		`x=$(head -c 1000000 /dev/zero | tr '\0' a); echo ok ${#x}`)
	if out != "ok 1000000" {
		t.Fatalf("small: %q", out)
	}
	if st := e.state("small"); st["OOMKilled"] != false {
		t.Fatalf("small state %v", st)
	}
	for _, name := range []string{"hog", "small"} {
		assertNoCgroup(t, e.inspect(name)["Id"].(string))
	}
}

func TestEachContainerOwnCgroup(t *testing.T) {
	e := newEnv(t)
	a := e.ok("run", "-d", "-m", "64m", "--pids-limit", "20", "-cpu", "20", "busybox", "sleep", "1000")
	b := e.ok("run", "-d", "--memory", "128m", "--pids-limit", "30", "--cpus", "1.5", "busybox", "sleep", "1000")
	for _, c := range []struct {
		id, sub, file, want string
	}{
		{a, "memory", "memory.limit_in_bytes", strconv.Itoa(64 << 20)},
		{b, "memory", "memory.limit_in_bytes", strconv.Itoa(128 << 20)},
		{a, "pids", "pids.max", "20"},
		{b, "pids", "pids.max", "30"},
		{a, "cpu", "cpu.cfs_quota_us", "20000"},
		{b, "cpu", "cpu.cfs_quota_us", "150000"},
		{a, "cpu", "cpu.cfs_period_us", "100000"},
	} {
		if got := readLimit(t, c.sub, c.id, c.file); got != c.want {
			t.Errorf("%s %s = %s, want %s", c.id[:12], c.file, got, c.want)
		}
	}
	for _, id := range []string{a, b} {
		pid := strconv.Itoa(int(e.state(id)["Pid"].(float64)))
		for _, sub := range []string{"memory", "cpu", "cpuacct", "cpuset", "pids"} {
			procs := strings.Fields(readTrim(t, filepath.Join(cgroupDir(sub, id), "cgroup.procs")))
			if len(procs) != 1 || procs[0] != pid {
				t.Errorf("%s cgroup.procs of %s = %v, want [%s]", sub, id[:12], procs, pid)
			}
		}
	}
	// exec joins the container's cgroup: inside its cgroup namespace that is /.
	want := ":memory:/" // v1; on v2 the one line is 0::/
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		want = "0::/"
	}
	if got := e.ok("exec", a, "cat", "/proc/self/cgroup"); !strings.Contains("\n"+got+"\n", want+"\n") {
		t.Errorf("exec'd process not in the container's cgroup: %q", got)
	}
	e.ok("rm", "-f", a, b)
	assertNoCgroup(t, a)
	assertNoCgroup(t, b)
}

func TestCPUQuotaMeasured(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "--cpus", "0.5", "busybox", "sh", "-c", "while :; do :; done")
	usage := func() float64 {
		v, err := strconv.ParseFloat(readLimit(t, "cpuacct", id, "cpuacct.usage"), 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	time.Sleep(300 * time.Millisecond) // let it reach its steady state
	u0, t0 := usage(), time.Now()
	time.Sleep(2 * time.Second)
	share := (usage() - u0) / float64(time.Since(t0).Nanoseconds())
	// A busy loop unlimited would use a whole CPU (1.0); the quota caps
	// it at half. Other work on a loaded machine may take some of that
	// half, so the lower bound only proves the loop was not starved by a
	// wrong, much smaller quota.
	if share < 0.1 || share > 0.65 {
		t.Fatalf("--cpus 0.5 used %.2f of a CPU", share)
	}
}

func TestCpusetVisibleInside(t *testing.T) {
	e := newEnv(t)
	out := e.ok("run", "--rm", "-cpuset", "1", "busybox", "grep", "Cpus_allowed_list", "/proc/self/status")
	if !strings.HasSuffix(out, "\t1") {
		t.Fatalf("-cpuset 1: %q", out)
	}
	out = e.ok("run", "--rm", "--cpuset-cpus", "0", "busybox", "grep", "Cpus_allowed_list", "/proc/self/status")
	if !strings.HasSuffix(out, "\t0") {
		t.Fatalf("--cpuset-cpus 0: %q", out)
	}
}

func TestPidsLimitStopsForkFlood(t *testing.T) {
	e := newEnv(t)
	// Each started sleep prints its number; busybox sh gives up at the
	// first fork the pids controller refuses.
	r, err := e.exec(nil, "run", "--name", "flood", "--pids-limit", "10", "busybox", "sh", "-c",
		`i=0; while [ $i -lt 50 ]; do sleep 1000 & i=$((i+1)); echo $i; done`)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(r.stdout)
	if len(lines) == 0 {
		t.Fatalf("the flood started no process at all: exit %d, stderr %q", r.code, r.stderr)
	}
	started, _ := strconv.Atoi(lines[len(lines)-1])
	if r.code == 0 || started >= 10 || !strings.Contains(r.stderr, "fork") {
		t.Fatalf("flood not stopped: exit %d, %d processes started, stderr %q", r.code, started, r.stderr)
	}
	assertNoCgroup(t, e.inspect("flood")["Id"].(string))
}

func TestBadLimitsLeaveNothing(t *testing.T) {
	e := newEnv(t)
	cases := [][]string{
		{"-m", "0", "-m"}, {"--memory", "lots", "--memory"}, {"-mem", "-1m", "-mem"},
		{"--cpus", "0", "--cpus"}, {"--cpus", "999", "--cpus"}, {"-cpu", "0", "-cpu"},
		{"--cpuset-cpus", "99", "--cpuset-cpus"}, {"-cpuset", "a-b", "-cpuset"},
		{"--pids-limit", "0", "--pids-limit"}, {"--pids-limit", "many", "--pids-limit"},
	}
	for _, c := range cases {
		r := e.run(125, "run", c[0], c[1], "busybox", "true")
		if !strings.Contains(r.stderr, c[2]) || !strings.Contains(r.stderr, c[1]) {
			t.Errorf("%s %s: stderr %q should name the flag and value", c[0], c[1], r.stderr)
		}
	}
	e.assertNothingLeft()
}

func TestStatsNoStream(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "st", "-m", "64m", "busybox", "sleep", "1000")
	out := e.ok("stats", "--no-stream", "st")
	lines := strings.Split(out, "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "CPU %") || !strings.Contains(lines[1], "st") || !strings.Contains(lines[1], "/ 64MiB") {
		t.Fatalf("stats: %q", out)
	}
}

// stats counts what the container holds, on v1 and v2 alike: 24 MiB put
// in its tmpfs (shared memory, charged to its memory cgroup and no page
// cache for stats to leave out), and exactly its two processes.
func TestStatsCountsWhatTheContainerUses(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "--name", "user", "-m", "96m", "busybox", "sh", "-c",
		"while [ ! -e /tmp/go ]; do sleep 0.1; done; head -c 25165824 /dev/zero > /dev/shm/fill; echo 1 > /tmp/filled; sleep 1000 & wait")
	upper := filepath.Join(e.root, "overlay2", id, "upper")
	before := statsRow(t, e, "user")
	if err := os.WriteFile(filepath.Join(e.root, "overlay2", id, "merged", "tmp", "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the tmpfs to be filled", func() bool { return fileExists(filepath.Join(upper, "tmp", "filled")) })
	after := statsRow(t, e, "user")
	if after.pids != 2 {
		t.Errorf("PIDS %d, want 2 (sh and sleep)", after.pids)
	}
	if after.limit != 96<<20 {
		t.Errorf("limit %.0f, want 96MiB", after.limit)
	}
	if grew := after.usage - before.usage; grew < 23<<20 || grew > 40<<20 {
		t.Errorf("usage grew by %.0f bytes for 24 MiB put in tmpfs (before %.0f, after %.0f)", grew, before.usage, after.usage)
	}
}

type statsSample struct {
	usage, limit float64
	pids         int
}

// statsRow reads one sample of stats --no-stream for name.
func statsRow(t *testing.T, e *env, name string) statsSample {
	t.Helper()
	lines := strings.Split(e.ok("stats", "--no-stream", name), "\n")
	if len(lines) != 2 {
		t.Fatalf("stats: %q", lines)
	}
	// ID NAME CPU% USAGE / LIMIT MEM% NETRX / NETTX BLKR / BLKW PIDS
	f := strings.Fields(lines[1])
	if len(f) != 14 || f[4] != "/" {
		t.Fatalf("stats row: %q", lines[1])
	}
	pids, err := strconv.Atoi(f[13])
	if err != nil {
		t.Fatalf("PIDS %q", f[13])
	}
	return statsSample{usage: parseBinarySize(t, f[3]), limit: parseBinarySize(t, f[5]), pids: pids}
}

// parseBinarySize reads stats' 12.5MiB.
func parseBinarySize(t *testing.T, s string) float64 {
	t.Helper()
	for i, unit := range []string{"KiB", "MiB", "GiB", "B"} {
		if n, ok := strings.CutSuffix(s, unit); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil {
				break
			}
			return v * float64([]int64{1 << 10, 1 << 20, 1 << 30, 1}[i])
		}
	}
	t.Fatalf("size %q", s)
	return 0
}
