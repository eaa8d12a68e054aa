package tests

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The limits beyond memory, CPU quota, cpuset and pids (issue 14): each
// test reads the value from the host's cgroup files, on v1 or v2, and
// checks its effect on the container.

// cgroupV2 tells whether this host runs the unified hierarchy.
func cgroupV2() bool {
	_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return err == nil
}

// cgroupFile reads container id's interface file: v1's in subsystem
// sub's hierarchy, else v2's.
func cgroupFile(t *testing.T, id, sub, v1, v2 string) string {
	t.Helper()
	if cgroupV2() {
		return readTrim(t, filepath.Join(cgroupDir(sub, id), v2))
	}
	return readTrim(t, filepath.Join(cgroupDir(sub, id), v1))
}

// assertNoCgroupAnywhere checks that no hierarchy holds id's cgroup, the
// freezer and blkio ones too.
func assertNoCgroupAnywhere(t *testing.T, id string) {
	t.Helper()
	assertNoCgroup(t, id)
	for _, sub := range []string{"freezer", "blkio"} {
		if _, err := os.Stat(cgroupDir(sub, id)); !os.IsNotExist(err) {
			t.Errorf("cgroup %s left: %v", cgroupDir(sub, id), err)
		}
	}
}

// v1Unlimited is how v1 reads back a limit of -1.
const v1Unlimited = "9223372036854771712"

func TestLimitFlagsReachTheCgroup(t *testing.T) {
	e := newEnv(t)
	a := e.ok("run", "-d", "-m", "64m", "--memory-reservation", "32m", "--cpu-shares", "512",
		"--cpu-period", "50000", "--cpu-quota", "10000", "--blkio-weight", "300",
		"busybox", "sh", "-c", "while :; do :; done")
	b := e.ok("run", "-d", "-m", "32m", "--memory-swap", "-1", "--cpu-weight", "50", "busybox", "sleep", "1000")
	c := e.ok("run", "-d", "-m", "32m", "--memory-swap", "48m", "busybox", "sleep", "1000")
	checks := []struct {
		id, sub, v1, v2, want1, want2 string
	}{
		{a, "memory", "memory.limit_in_bytes", "memory.max", "67108864", "67108864"},
		{a, "memory", "memory.soft_limit_in_bytes", "memory.low", "33554432", "33554432"},
		{a, "cpu", "cpu.shares", "cpu.weight", "512", "20"}, // runc's conversion onto v2's scale
		{a, "cpu", "cpu.cfs_period_us", "cpu.max", "50000", "10000 50000"},
		{a, "cpu", "cpu.cfs_quota_us", "cpu.max", "10000", "10000 50000"},
		{b, "cpu", "cpu.shares", "cpu.weight", "1286", "50"},
	}
	// Docker's default swap is as much again as memory; -1 lifts it.
	if cgroupV2() || fileExists(filepath.Join(cgroupDir("memory", a), "memory.memsw.limit_in_bytes")) {
		checks = append(checks, []struct{ id, sub, v1, v2, want1, want2 string }{
			{a, "memory", "memory.memsw.limit_in_bytes", "memory.swap.max", "134217728", "67108864"},
			{b, "memory", "memory.memsw.limit_in_bytes", "memory.swap.max", v1Unlimited, "max"},
			{c, "memory", "memory.memsw.limit_in_bytes", "memory.swap.max", "50331648", "16777216"},
		}...)
	} else {
		// No swap accounting: Docker's warning, and the run goes on.
		r := e.run(0, "run", "--rm", "-m", "32m", "busybox", "true")
		if !strings.Contains(r.stderr, "does not support swap limit") {
			t.Errorf("no warning about swap accounting: %q", r.stderr)
		}
	}
	for _, ck := range checks {
		want := ck.want1
		if cgroupV2() {
			want = ck.want2
		}
		if got := cgroupFile(t, ck.id, ck.sub, ck.v1, ck.v2); got != want {
			t.Errorf("%s: %s/%s = %q, want %q", ck.id[:12], ck.v1, ck.v2, got, want)
		}
	}
	// Whichever weight file the I/O scheduler offers has --blkio-weight.
	weight := ""
	for _, f := range []string{"blkio.weight", "blkio.bfq.weight", "io.bfq.weight", "io.weight"} {
		if data, err := os.ReadFile(filepath.Join(cgroupDir("blkio", a), f)); err == nil {
			weight = f + "=" + strings.TrimSpace(string(data))
			break
		}
	}
	if weight != "blkio.weight=300" && weight != "blkio.bfq.weight=300" && weight != "io.bfq.weight=default 300" &&
		weight != "io.weight=default 2930" {
		t.Errorf("--blkio-weight 300: %q", weight)
	}
	res := e.inspect(a)["Config"].(map[string]any)["Resources"].(map[string]any)
	if res["MemoryReservation"] != float64(32<<20) || res["CpuShares"] != float64(512) || res["CpuPeriod"] != float64(50000) ||
		res["CpuQuota"] != float64(10000) || res["BlkioWeight"] != float64(300) {
		t.Errorf("inspect Resources %v", res)
	}
	// The effect of the quota: 10ms per 50ms period, a busy loop is
	// throttled in (nearly) every period.
	waitFor(t, "the busy loop to be throttled", func() bool {
		n, _ := cpuStatValue(t, a, "nr_throttled", "nr_throttled")
		return n >= 5
	})
	e.ok("rm", "-f", a, b, c)
	for _, id := range []string{a, b, c} {
		assertNoCgroupAnywhere(t, id)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// cpuStatValue reads a key of id's cpu.stat (v1's cpu hierarchy or v2's).
func cpuStatValue(t *testing.T, id, v1key, v2key string) (uint64, bool) {
	t.Helper()
	key := v1key
	if cgroupV2() {
		key = v2key
	}
	for _, line := range strings.Split(readTrim(t, filepath.Join(cgroupDir("cpu", id), "cpu.stat")), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			n, err := strconv.ParseUint(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// cpuUsage is id's CPU time so far, nanoseconds.
func cpuUsage(t *testing.T, id string) uint64 {
	t.Helper()
	if cgroupV2() {
		usec, _ := cpuStatValue(t, id, "", "usage_usec")
		return usec * 1000
	}
	n, err := strconv.ParseUint(readTrim(t, filepath.Join(cgroupDir("cpuacct", id), "cpuacct.usage")), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Two busy loops on one CPU share it by their weights: 1024 against the
// smallest, 2, leaves the light one next to nothing. A ratio far below
// the 512 the weights ask for still proves they apply (without them the
// two get the same).
func TestCPUSharesDivideACPU(t *testing.T) {
	e := newEnv(t)
	loop := []string{"busybox", "sh", "-c", "while :; do :; done"}
	heavy := e.ok(append([]string{"run", "-d", "--cpuset-cpus", "0", "--cpu-shares", "1024"}, loop...)...)
	light := e.ok(append([]string{"run", "-d", "--cpuset-cpus", "0", "--cpu-shares", "2"}, loop...)...)
	if got := cgroupFile(t, light, "cpu", "cpu.shares", "cpu.weight"); got != "2" && got != "1" {
		t.Fatalf("--cpu-shares 2 wrote %s", got)
	}
	h0, l0 := cpuUsage(t, heavy), cpuUsage(t, light)
	// Wait for an amount of CPU time, not of wall time: a loaded machine
	// only makes this take longer.
	waitFor(t, "the heavy loop to use 1s of CPU", func() bool { return cpuUsage(t, heavy)-h0 >= uint64(time.Second) })
	h, l := cpuUsage(t, heavy)-h0, cpuUsage(t, light)-l0
	if l*5 > h {
		t.Fatalf("--cpu-shares 1024 vs 2 on one CPU: %v vs %v of CPU time", time.Duration(h), time.Duration(l))
	}
}

// loopDevice attaches a new 16 MiB loop device to a file under dir and
// detaches it when the test ends: a block device of the test's own to
// throttle, whatever the host's disks are.
func loopDevice(t *testing.T, dir string) (path string, majMin string) {
	t.Helper()
	backing, err := os.Create(filepath.Join(dir, "disk.img"))
	if err != nil {
		t.Fatal(err)
	}
	defer backing.Close()
	if err := backing.Truncate(16 << 20); err != nil {
		t.Fatal(err)
	}
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("loop devices are needed to test block I/O limits: %v", err)
	}
	defer ctl.Close()
	for i := 0; i < 20; i++ {
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			t.Fatalf("LOOP_CTL_GET_FREE: %v", err)
		}
		path = fmt.Sprintf("/dev/loop%d", n)
		dev, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.IoctlSetInt(int(dev.Fd()), unix.LOOP_SET_FD, int(backing.Fd())); err != nil {
			dev.Close()
			if err == unix.EBUSY {
				continue // another process took it meanwhile
			}
			t.Fatalf("LOOP_SET_FD %s: %v", path, err)
		}
		t.Cleanup(func() {
			if err := unix.IoctlSetInt(int(dev.Fd()), unix.LOOP_CLR_FD, 0); err != nil {
				t.Errorf("detach %s: %v", path, err)
			}
			dev.Close()
		})
		var st unix.Stat_t
		if err := unix.Stat(path, &st); err != nil {
			t.Fatal(err)
		}
		return path, fmt.Sprintf("%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
	}
	t.Fatal("no free loop device")
	return "", ""
}

func TestDeviceBpsThrottleDirectIO(t *testing.T) {
	e := newEnv(t)
	dev, majMin := loopDevice(t, e.root)
	// --device, as with Docker: the device cgroup allows only the
	// devices given so (a bind mount of the node would not be).
	id := e.ok("run", "-d", "--name", "io", "--device", dev+":/dev/disk", "--device-write-bps", dev+":1mb",
		"--device-read-bps", dev+":1mb", "busybox", "sleep", "1000")
	if cgroupV2() {
		if got := cgroupFile(t, id, "blkio", "", "io.max"); !strings.Contains(got, majMin+" rbps=1048576 wbps=1048576") {
			t.Errorf("io.max %q, want %s at 1 MiB/s both ways", got, majMin)
		}
	} else {
		for _, f := range []string{"blkio.throttle.write_bps_device", "blkio.throttle.read_bps_device"} {
			if got := cgroupFile(t, id, "blkio", f, ""); got != majMin+" 1048576" {
				t.Errorf("%s %q, want %s 1048576", f, got, majMin)
			}
		}
	}
	// 3 MiB at 1 MiB/s take 3 s, less the kernel's first slice: direct
	// I/O goes through the throttle (the page cache would not), and an
	// exec'd process is in the container's cgroup too. Unthrottled, the
	// loop device takes a few milliseconds.
	for _, dd := range []string{"if=/dev/zero of=/dev/disk oflag=direct", "if=/dev/disk of=/dev/null iflag=direct"} {
		start := time.Now()
		e.ok(append([]string{"exec", "io", "dd", "bs=64k", "count=48"}, strings.Fields(dd)...)...)
		if took := time.Since(start); took < 2*time.Second {
			t.Errorf("dd %s of 3 MiB at 1 MiB/s took only %v", dd, took)
		}
	}
	// stats counts the block I/O: 3 MiB each way at least.
	out := e.ok("stats", "--no-stream", "io")
	m := regexp.MustCompile(`([0-9.]+)MB / ([0-9.]+)MB`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("stats shows no block I/O in MB: %q", out)
	}
	for _, v := range m[1:] {
		if f, _ := strconv.ParseFloat(v, 64); f < 3.1 {
			t.Errorf("stats block I/O %q, want at least 3.1MB each way", m[0])
		}
	}
	e.ok("rm", "-f", id)
	assertNoCgroupAnywhere(t, id)
}

func TestBadNewLimitFlags(t *testing.T) {
	e := newEnv(t)
	for _, c := range [][]string{
		{"--memory-swap", "10m", "-m", "64m"}, {"--memory-swap", "64m"}, {"--memory-swap", "lots", "-m", "64m"},
		{"--memory-reservation", "128m", "-m", "64m"}, {"--memory-reservation", "-1"},
		{"--cpu-shares", "1"}, {"--cpu-shares", "262145"}, {"--cpu-weight", "0"}, {"--cpu-weight", "10001"},
		{"--cpu-period", "999"}, {"--cpu-quota", "500"}, {"--cpus", "1", "--cpu-quota", "50000"},
		{"--cpu-shares", "512", "--cpu-weight", "50"}, {"--blkio-weight", "5"}, {"--blkio-weight", "1001"},
		{"--device-write-bps", "/dev/null:1mb"}, {"--device-read-bps", "/nonexistent:1mb"},
		{"--device-read-bps", "relative:1mb"}, {"--device-write-bps", "/dev/loop-control"},
	} {
		r := e.run(125, append(append([]string{"run"}, c...), "busybox", "true")...)
		msg := strings.TrimSpace(r.stderr)
		if strings.Count(msg, "\n") > 0 || !strings.Contains(msg, strings.TrimPrefix(c[0], "--")) {
			t.Errorf("%v: want one line naming the flag, got %q", c, msg)
		}
	}
	e.assertNothingLeft()
}

// counter starts a container that counts as fast as it can into
// /tmp/count, and returns it and a reader of the count through the
// container's rootfs on the host.
func (e *env) counter(name string) (string, func() int) {
	e.t.Helper()
	id := e.ok("run", "-d", "--name", name, "busybox", "sh", "-c",
		`i=0; while :; do i=$((i+1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; done`)
	read := func() int {
		e.t.Helper()
		data, err := os.ReadFile(filepath.Join(e.root, "overlay2", id, "merged", "tmp", "count"))
		if err != nil {
			return 0
		}
		n, _ := strconv.Atoi(strings.TrimSpace(string(data)))
		return n
	}
	waitFor(e.t, "the counter to count", func() bool { return read() > 0 })
	return id, read
}

func TestPauseFreezesUnpauseThaws(t *testing.T) {
	e := newEnv(t)
	id, count := e.counter("ctr")
	if got := e.ok("pause", "ctr"); got != "ctr" {
		t.Fatalf("pause printed %q", got)
	}
	if cgroupV2() {
		if f, ev := cgroupFile(t, id, "", "", "cgroup.freeze"), cgroupFile(t, id, "", "", "cgroup.events"); f != "1" || !strings.Contains(ev, "frozen 1") {
			t.Fatalf("cgroup.freeze %q, events %q", f, ev)
		}
	} else if got := cgroupFile(t, id, "freezer", "freezer.state", ""); got != "FROZEN" {
		t.Fatalf("freezer.state %q", got)
	}
	// Frozen means not one more step: the count stays put.
	n := count()
	time.Sleep(300 * time.Millisecond)
	if m := count(); m != n {
		t.Fatalf("paused container counted from %d to %d", n, m)
	}
	st := e.state("ctr")
	if st["Status"] != "paused" || st["Paused"] != true {
		t.Errorf("inspect State %v, want Status paused, Paused true", st)
	}
	if rows := psRows(t, e.ok("ps")); len(rows) != 1 || !strings.HasPrefix(rows[0][4], "Up ") || !strings.HasSuffix(rows[0][4], " (Paused)") {
		t.Errorf("ps rows %v, want Up ... (Paused)", rows)
	}
	if r := e.run(125, "pause", "ctr"); !strings.Contains(r.stderr, "already paused") {
		t.Errorf("second pause: %q", r.stderr)
	}
	// exec would hang in the frozen cgroup: it is refused.
	if r := e.run(125, "exec", "ctr", "true"); !strings.Contains(r.stderr, "paused") {
		t.Errorf("exec into a paused container: %q", r.stderr)
	}
	e.ok("unpause", "ctr")
	if cgroupV2() {
		if got := cgroupFile(t, id, "", "", "cgroup.freeze"); got != "0" {
			t.Fatalf("cgroup.freeze %q after unpause", got)
		}
	} else if got := cgroupFile(t, id, "freezer", "freezer.state", ""); got != "THAWED" {
		t.Fatalf("freezer.state %q after unpause", got)
	}
	waitFor(t, "the count to go on", func() bool { return count() > n })
	if st := e.state("ctr"); st["Status"] != "running" || st["Paused"] != false {
		t.Errorf("inspect State %v after unpause", st)
	}
	if r := e.run(125, "unpause", "ctr"); !strings.Contains(r.stderr, "not paused") {
		t.Errorf("second unpause: %q", r.stderr)
	}
}

func TestStopAndRemoveAPausedContainer(t *testing.T) {
	e := newEnv(t)
	// sh as pid 1 ignores SIGTERM: stop needs its SIGKILL, which a v1
	// frozen task takes only once thawed.
	id, _ := e.counter("ctr")
	e.ok("pause", "ctr")
	e.ok("stop", "-t", "1", "ctr")
	if st := e.state("ctr"); st["Status"] != "exited" || st["Paused"] != false || st["ExitCode"] != float64(137) {
		t.Fatalf("stopped paused container: %v", st)
	}
	assertNoCgroupAnywhere(t, id)
	// Started again, it is not paused, and rm -f of a paused one works.
	e.ok("start", "ctr")
	if st := e.state("ctr"); st["Status"] != "running" || st["Paused"] != false {
		t.Fatalf("restarted: %v", st)
	}
	e.ok("pause", "ctr")
	e.ok("rm", "-f", "ctr")
	assertNoCgroupAnywhere(t, id)
	e.assertNothingLeft()
	if r := e.run(1, "pause", "nonesuch"); !strings.Contains(r.stderr, "nonesuch") {
		t.Errorf("pause of a missing container: %q", r.stderr)
	}
}

func TestUpdateRunningContainer(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "--name", "up", "-m", "64m", "--cpus", "0.5", "busybox", "sleep", "1000")
	// No swap either, so the memory limit is the whole story.
	if got := e.ok("update", "-m", "32m", "--memory-swap", "32m", "--memory-reservation", "16m", "--cpus", "1", "--cpu-shares", "256",
		"--pids-limit", "64", "--blkio-weight", "200", "--cpuset-cpus", "0", "up"); got != "up" {
		t.Fatalf("update printed %q", got)
	}
	checks := []struct{ sub, v1, v2, want1, want2 string }{
		{"memory", "memory.limit_in_bytes", "memory.max", "33554432", "33554432"},
		{"memory", "memory.soft_limit_in_bytes", "memory.low", "16777216", "16777216"},
		{"cpu", "cpu.cfs_quota_us", "cpu.max", "100000", "100000 100000"},
		{"cpu", "cpu.shares", "cpu.weight", "256", "10"},
		{"pids", "pids.max", "pids.max", "64", "64"},
		{"cpuset", "cpuset.cpus", "cpuset.cpus", "0", "0"},
	}
	for _, ck := range checks {
		want := ck.want1
		if cgroupV2() {
			want = ck.want2
		}
		if got := cgroupFile(t, id, ck.sub, ck.v1, ck.v2); got != want {
			t.Errorf("after update %s/%s = %q, want %q", ck.v1, ck.v2, got, want)
		}
	}
	// The effects, seen from inside: one CPU, and no fifth process.
	if got := e.ok("exec", "up", "grep", "Cpus_allowed_list", "/proc/self/status"); !strings.HasSuffix(got, "\t0") {
		t.Errorf("after --cpuset-cpus 0: %q", got)
	}
	e.testUpdatedPidsLimit()
	// And the memory: a 48 MiB buffer is over the new 32m, a 16 MiB one
	// is not. dd fills it with one read: under qemu's TCG, on the one CPU
	// the update leaves, building the string in a shell took a minute.
	e.run(137, "exec", "up", "dd", "if=/dev/zero", "of=/dev/null", "bs=50331648", "count=1")
	e.run(0, "exec", "up", "dd", "if=/dev/zero", "of=/dev/null", "bs=16777216", "count=1")
	res := e.inspect("up")["Config"].(map[string]any)["Resources"].(map[string]any)
	if res["Memory"] != float64(32<<20) || res["PidsLimit"] != float64(64) || res["CpuShares"] != float64(256) {
		t.Errorf("record after update: %v", res)
	}
	// A value the limits refuse together changes nothing: the swap limit
	// would be below memory.
	if r := e.run(125, "update", "-m", "64m", "--memory-swap", "48m", "up"); strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
		t.Errorf("not one line: %q", r.stderr)
	}
	if got := cgroupFile(t, id, "memory", "memory.limit_in_bytes", "memory.max"); got != "33554432" {
		t.Errorf("refused update changed the limit to %s", got)
	}
	if res := e.inspect("up")["Config"].(map[string]any)["Resources"].(map[string]any); res["Memory"] != float64(32<<20) {
		t.Errorf("refused update changed the record: %v", res)
	}
	e.run(125, "update", "up")                         // no flag
	e.run(125, "update", "--blkio-weight", "5", "up")  // bad value
	e.run(1, "update", "-m", "64m", "no-such-one-xyz") // no container
}

// testUpdatedPidsLimit lowers a running container's pids limit to 4 and
// then lets it try to start 8 processes. The flood starts from the
// container's own shell when the test creates /tmp/go: an exec'd
// process would count its own threads against the limit too.
func (e *env) testUpdatedPidsLimit() {
	t := e.t
	t.Helper()
	id := e.ok("run", "-d", "--name", "flood", "busybox", "sh", "-c",
		`while [ ! -e /tmp/go ]; do sleep 0.05; done; i=0; while [ $i -lt 8 ]; do sleep 1000 & i=$((i+1)); echo $i >> /tmp/started; done; echo all >> /tmp/started; sleep 1000`)
	e.ok("update", "--pids-limit", "4", "flood")
	if got := cgroupFile(t, id, "pids", "pids.max", "pids.max"); got != "4" {
		t.Fatalf("pids.max %q after update", got)
	}
	if err := os.WriteFile(filepath.Join(e.root, "overlay2", id, "merged", "tmp", "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// busybox sh gives up at the first fork the kernel refuses.
	waitFor(t, "the flood to fail", func() bool { return e.state("flood")["Status"] == "exited" })
	data, err := os.ReadFile(filepath.Join(e.root, "overlay2", id, "upper", "tmp", "started"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(data))
	if len(lines) == 0 || len(lines) >= 4 || strings.Contains(string(data), "all") {
		t.Fatalf("--pids-limit 4 set by update let the shell start: %q", data)
	}
}

func TestUpdateStoppedContainerAppliesAtStart(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "--name", "later", "-m", "64m", "busybox", "sleep", "1000")
	e.ok("stop", "-t", "0", "later")
	e.ok("update", "-m", "48m", "--pids-limit", "9", "later")
	if _, err := os.Stat(cgroupDir("memory", id)); !os.IsNotExist(err) {
		t.Fatalf("update of a stopped container made its cgroup: %v", err)
	}
	e.ok("start", "later")
	if got := cgroupFile(t, id, "memory", "memory.limit_in_bytes", "memory.max"); got != "50331648" {
		t.Errorf("memory limit after start %s, want 48m", got)
	}
	if got := cgroupFile(t, id, "pids", "pids.max", "pids.max"); got != "9" {
		t.Errorf("pids.max after start %s", got)
	}
}

func TestStatsNetworkIO(t *testing.T) {
	e := newEnv(t)
	netName, _ := e.createNetwork(24)
	e.ok("run", "-d", "--name", "rx", "--network", netName, "busybox", "sleep", "1000")
	ip := e.ip("rx")
	// 50 datagrams of 1000 bytes to the container's own address: its
	// eth0 receives them whether or not anything listens.
	// An unconnected socket: the container's "port unreachable" answers
	// must not fail the next write.
	conn, err := net.ListenPacket("udp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	to := &net.UDPAddr{IP: net.ParseIP(ip), Port: 9}
	for i := 0; i < 50; i++ {
		if _, err := conn.WriteTo(make([]byte, 1000), to); err != nil {
			t.Fatal(err)
		}
	}
	re := regexp.MustCompile(`([0-9.]+)(B|kB|MB) / ([0-9.]+)(B|kB|MB)`)
	waitFor(t, "stats to count 50kB received", func() bool {
		m := re.FindStringSubmatch(e.ok("stats", "--no-stream", "rx"))
		if m == nil {
			return false
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return (m[2] == "kB" && v >= 50) || m[2] == "MB"
	})
}

// update --pids-limit -1 lifts a limit (Docker's and Podman's spelling):
// a shell held to 3 processes then starts 8.
func TestUpdateLiftsPidsLimit(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "--name", "lifted", "--pids-limit", "3", "busybox", "sh", "-c",
		`while [ ! -e /tmp/go ]; do sleep 0.05; done; i=0; while [ $i -lt 8 ]; do sleep 1000 & i=$((i+1)); done; echo all > /tmp/started; sleep 1000`)
	if got := cgroupFile(t, id, "pids", "pids.max", "pids.max"); got != "3" {
		t.Fatalf("pids.max %q at start", got)
	}
	e.run(125, "update", "--pids-limit", "0", "lifted")
	e.run(125, "update", "--pids-limit", "-2", "lifted")
	e.ok("update", "--pids-limit", "-1", "lifted")
	if got := cgroupFile(t, id, "pids", "pids.max", "pids.max"); got != "max" {
		t.Fatalf("pids.max %q after update --pids-limit -1", got)
	}
	if err := os.WriteFile(filepath.Join(e.root, "overlay2", id, "merged", "tmp", "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "8 processes to start", func() bool {
		_, err := os.Stat(filepath.Join(e.root, "overlay2", id, "upper", "tmp", "started"))
		return err == nil
	})
	// Kept across a restart.
	e.ok("stop", "-t", "0", "lifted")
	e.ok("start", "lifted")
	if got := cgroupFile(t, id, "pids", "pids.max", "pids.max"); got != "max" {
		t.Errorf("pids.max %q after restart", got)
	}
}
