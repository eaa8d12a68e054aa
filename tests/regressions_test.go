package tests

// Each test here guards a regression the suite once let through: a bug
// put back into the product on purpose (see scripts/mutate.sh) must make
// one of them fail.

import (
	"context"
	"fmt"
	mrand "math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// sysprobe returns a directory holding testdata/sysprobe, built
// statically, for the tests to bind into containers.
func sysprobe(t *testing.T) string {
	t.Helper()
	return filepath.Dir(helperBin(t, "sysprobe"))
}

// probeErrnos runs sysprobe in a new container with extra run flags and
// returns the errno of each call.
func probeErrnos(t *testing.T, e *env, runFlags []string, calls []string) map[string]string {
	t.Helper()
	args := append([]string{"run", "--rm", "-v", sysprobe(t) + ":/probe:ro"}, runFlags...)
	args = append(append(args, "busybox", "/probe/sysprobe"), calls...)
	got := map[string]string{}
	for _, l := range strings.Split(e.ok(args...), "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			got[f[0]] = f[1]
		}
	}
	if len(got) != len(calls) {
		t.Fatalf("sysprobe answered %d of %d calls: %v", len(got), len(calls), got)
	}
	return got
}

// Docker's default profile, from inside a container. Every call of the
// probe's list that the profile refuses a container with the default
// capabilities gets EPERM (1); compared with runs without the filter, the
// EPERM is shown to be seccomp's, not a missing capability's. With a
// capability added, its calls of the profile get through; what the
// profile refuses everyone stays refused with every capability.
func TestSeccompRefusesEveryDangerousCall(t *testing.T) {
	e := newEnv(t)
	calls := []string{"acct", "add_key", "bpf", "clock_settime", "delete_module", "finit_module",
		"init_module", "iopl", "kcmp", "keyctl", "mount", "open_by_handle_at", "perf_event_open",
		"pivot_root", "quotactl", "reboot", "request_key", "setns", "swapoff", "swapon", "umount2",
		"unshare", "userfaultfd", "fsopen", "open_tree", "move_mount", "pidfd_getfd", "io_uring_setup",
		"io_uring_enter", "io_uring_register", "clone-newuser"}
	confined := probeErrnos(t, e, nil, calls)
	for _, c := range calls {
		if confined[c] != "1" {
			t.Errorf("%s: errno %s under the default profile, want EPERM (1)", c, confined[c])
		}
	}
	// Without the filter, with the same capabilities, these reach the
	// kernel, which answers before it checks a capability (bad
	// arguments, no module support, a new user namespace made): their
	// EPERM above is seccomp's. The kernel refuses the others (acct,
	// fsopen, move_mount, pivot_root, reboot, swapon, swapoff) for the
	// missing capability first; the unit test and the runs below show
	// the filter's part in those.
	reachKernel := map[string]bool{"add_key": true, "bpf": true, "clock_settime": true, "delete_module": true,
		"finit_module": true, "init_module": true, "iopl": true, "kcmp": true, "keyctl": true, "mount": true,
		"open_by_handle_at": true, "perf_event_open": true, "quotactl": true, "request_key": true, "setns": true,
		"umount2": true, "unshare": true, "userfaultfd": true, "open_tree": true, "pidfd_getfd": true,
		"io_uring_setup": true, "io_uring_enter": true, "io_uring_register": true, "clone-newuser": true}
	// A kernel with module support (Debian's) checks CAP_SYS_MODULE
	// before anything else, and before 6.12 open_by_handle_at checked
	// CAP_DAC_READ_SEARCH first: there those answer for the capability.
	if fileExists("/proc/modules") {
		for _, c := range []string{"delete_module", "finit_module", "init_module"} {
			delete(reachKernel, c)
		}
	}
	if !kernelAtLeast(t, 6, 12) {
		delete(reachKernel, "open_by_handle_at")
	}
	free := probeErrnos(t, e, []string{"--security-opt", "seccomp=unconfined"}, calls)
	for _, c := range calls {
		if reachKernel[c] && free[c] == "1" {
			t.Errorf("%s: EPERM even without seccomp: the probe cannot tell the filter's refusal apart", c)
		}
		if !reachKernel[c] && free[c] != "1" {
			t.Errorf("%s: errno %s without seccomp, not the capability's EPERM: the probe has changed", c, free[c])
		}
	}
	// Docker allows these to every container: the kernel answers them.
	for c, errno := range probeErrnos(t, e, nil, []string{"clock_adjtime", "name_to_handle_at", "process_vm_readv"}) {
		if errno == "1" {
			t.Errorf("%s: EPERM under the default profile, which allows it", c)
		}
	}
	// --cap-add SYS_ADMIN adds mount, namespaces, bpf and perf events, as
	// in Docker, and nothing of another capability's.
	sysAdmin := probeErrnos(t, e, []string{"--cap-add", "SYS_ADMIN"}, calls)
	for _, c := range []string{"mount", "umount2", "unshare", "setns", "fsopen", "open_tree", "move_mount",
		"bpf", "perf_event_open", "quotactl", "clone-newuser"} {
		if sysAdmin[c] == "1" {
			t.Errorf("%s: EPERM with --cap-add SYS_ADMIN, which Docker's profile allows", c)
		}
	}
	for _, c := range []string{"acct", "init_module", "reboot", "clock_settime", "kcmp", "iopl", "keyctl",
		"io_uring_setup", "pivot_root"} {
		if sysAdmin[c] != "1" {
			t.Errorf("%s: errno %s with --cap-add SYS_ADMIN, want EPERM (1)", c, sysAdmin[c])
		}
	}
	// With every capability, only what the profile refuses everyone is
	// refused: keyrings, io_uring, userfaultfd, pivot_root and swap. They
	// reach the kernel without the filter, so that EPERM is seccomp's.
	refusedToAll := []string{"add_key", "keyctl", "request_key", "io_uring_setup", "io_uring_enter",
		"io_uring_register", "userfaultfd", "pivot_root", "swapon", "swapoff"}
	every := probeErrnos(t, e, []string{"--cap-add", "ALL"}, calls)
	everyFree := probeErrnos(t, e, []string{"--cap-add", "ALL", "--security-opt", "seccomp=unconfined"}, refusedToAll)
	for _, c := range calls {
		refused := false
		for _, r := range refusedToAll {
			refused = refused || r == c
		}
		switch {
		case refused && every[c] != "1":
			t.Errorf("%s: errno %s with --cap-add ALL, want EPERM (1): Docker refuses it to everyone", c, every[c])
		case refused && everyFree[c] == "1":
			t.Errorf("%s: EPERM with every capability and no seccomp: the probe cannot tell the filter's refusal apart", c)
		case !refused && every[c] == "1":
			t.Errorf("%s: EPERM with --cap-add ALL, which Docker's profile allows", c)
		}
	}
	// exec'd processes are under the same filter.
	e.ok("run", "-d", "--name", "c", "-v", sysprobe(t)+":/probe:ro", "busybox", "sleep", "1000")
	out := e.ok("exec", "c", "/probe/sysprobe", "keyctl", "mount", "unshare", "clone-newuser")
	if out != "keyctl 1\nmount 1\nunshare 1\nclone-newuser 1" {
		t.Errorf("exec'd process is not under the seccomp filter: %q", out)
	}
	if got := e.ok("exec", "c", "grep", "^Seccomp:", "/proc/self/status"); got != "Seccomp:\t2" {
		t.Errorf("exec'd process seccomp mode: %q", got)
	}
}

// The filter init loads comes from the root's cache, filled on a miss by
// mydocker-kube: neither the CLI make builds nor the monitor links the
// seccomp library, and init never assembles. Either way the container is
// under it; a damaged cache file, or one holding another capability set's
// filter, is assembled again, never loaded.
func TestSeccompFilterCachedOrAssembled(t *testing.T) {
	e := newEnv(t)
	cache := filepath.Join(e.root, "seccomp")
	probe := []string{"-v", sysprobe(t) + ":/probe:ro", "busybox", "/probe/sysprobe", "keyctl", "mount", "unshare"}
	const refused = "keyctl 1\nmount 1\nunshare 1"
	// Detached first, in a new root: the monitor has the filter
	// assembled, and keeps it.
	id := e.ok(append([]string{"run", "-d"}, probe...)...)
	e.ok("wait", id)
	if got := e.ok("logs", id); got != refused {
		t.Errorf("detached container with no filter cached: %q, want %q", got, refused)
	}
	entries, err := os.ReadDir(cache)
	if err != nil || len(entries) != 1 {
		t.Fatalf("cache after a detached run: %v, %v; want one filter", entries, err)
	}
	file := filepath.Join(cache, entries[0].Name())
	good := mustRead(t, file)
	// A foreground run on a miss has the same filter assembled and kept.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if got := e.ok(append([]string{"run", "--rm"}, probe...)...); got != refused {
		t.Errorf("first foreground run: %q, want %q", got, refused)
	}
	if now, err := os.ReadFile(file); err != nil || string(now) != string(good) {
		t.Fatalf("the foreground run's filter (%v) differs from the monitor's", err)
	}
	// From the cache, foreground and detached.
	if got := e.ok(append([]string{"run", "--rm"}, probe...)...); got != refused {
		t.Errorf("run from the cache: %q, want %q", got, refused)
	}
	id = e.ok(append([]string{"run", "-d"}, probe...)...)
	e.ok("wait", id)
	if got := e.ok("logs", id); got != refused {
		t.Errorf("detached container from the cache: %q, want %q", got, refused)
	}
	// --cap-add SYS_ADMIN's filter lets mount and unshare through; put
	// under the default set's name below, it is not taken for it.
	for c, errno := range probeErrnos(t, e, []string{"--cap-add", "SYS_ADMIN"}, []string{"mount", "unshare"}) {
		if errno == "1" {
			t.Errorf("%s: EPERM with --cap-add SYS_ADMIN", c)
		}
	}
	entries, _ = os.ReadDir(cache)
	var other string
	for _, en := range entries {
		if p := filepath.Join(cache, en.Name()); p != file {
			other = p
		}
	}
	if other == "" {
		t.Fatalf("no filter kept for --cap-add SYS_ADMIN: %v", entries)
	}
	for desc, data := range map[string][]byte{
		"another capability set's filter": mustRead(t, other),
		"a torn file":                     good[:len(good)-5],
		"a flipped byte":                  append(append([]byte{}, good[:len(good)-1]...), good[len(good)-1]^0x10),
	} {
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if got := e.ok(append([]string{"run", "--rm"}, probe...)...); got != refused {
			t.Errorf("run with %s cached: %q, want %q", desc, got, refused)
		}
		if now := mustRead(t, file); string(now) != string(good) {
			t.Errorf("%s was not replaced by the right filter", desc)
		}
	}
}

// Without mydocker-kube, which assembles the filter, a run that finds
// none cached fails with one line naming it, and leaves nothing; init
// never starts without a filter.
func TestSeccompAssemblerMissing(t *testing.T) {
	e := newEnv(t)
	// The image tar is read first, by the suite's mydocker with
	// mydocker-kube beside it (the copy below could not read it); reading
	// it assembles no filter.
	e.ok("images")
	bin := installCopy(t, "mydocker", "mydocker-init", "mydocker-inside", "mydocker-monitor")
	for _, args := range [][]string{
		{"run", "--rm", "--network", "none", "busybox", "echo", "ran"},
		{"run", "-d", "--network", "none", "busybox", "echo", "ran"},
	} {
		r := e.runWith(bin, args...)
		if r.code != 125 || strings.Contains(r.stdout, "ran") || !strings.Contains(r.stderr, "mydocker-kube is missing") ||
			strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v without mydocker-kube: code %d, stdout %q, stderr %q; want 125 and one line naming it", args, r.code, r.stdout, r.stderr)
		}
		e.assertNothingLeft()
	}
	// With it, the same run works and fills the cache.
	bin = installCopy(t, "mydocker", "mydocker-init", "mydocker-inside", "mydocker-monitor", "mydocker-kube")
	if r := e.runWith(bin, "run", "--rm", "--network", "none", "busybox", "echo", "ran"); r.code != 0 || r.stdout != "ran\n" {
		t.Fatalf("with mydocker-kube: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if entries, err := os.ReadDir(filepath.Join(e.root, "seccomp")); err != nil || len(entries) != 1 {
		t.Fatalf("cache: %v, %v; want one filter", entries, err)
	}
}

// A command that brings an image in has the default seccomp filter
// assembled meanwhile and kept once it has succeeded, so the first run
// in a new root finds it cached rather than waiting for mydocker-kube.
func TestImageCommandsWarmSeccompCache(t *testing.T) {
	e := newEnv(t)
	cache := filepath.Join(e.root, "seccomp")
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Fatalf("a new root has filters cached: %v", entries)
	}
	// A failed one leaves nothing, the filter included.
	e.run(125, "import", filepath.Join(e.root, "nothing.tar"), "warm:1")
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Fatalf("a failed import kept a filter: %v", entries)
	}
	e.ok("import", filepath.Join(e.root, "image", "busybox.tar"), "warm:1")
	entries, err := os.ReadDir(cache)
	if err != nil || len(entries) != 1 {
		t.Fatalf("cache after import: %v, %v; want the default filter", entries, err)
	}
	before := mustRead(t, filepath.Join(cache, entries[0].Name()))
	// The first run uses it as it is: the default set's filter.
	e.ok("run", "--rm", "--network", "none", "warm:1", "true")
	if entries, _ := os.ReadDir(cache); len(entries) != 1 || string(mustRead(t, filepath.Join(cache, entries[0].Name()))) != string(before) {
		t.Fatalf("the first run assembled another filter: %v", entries)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// exec joins every one of the container's namespaces: the same ns links
// as the container's pid 1, the container's interfaces, its hostname.
func TestExecJoinsEveryNamespace(t *testing.T) {
	e := newEnv(t)
	net, _ := e.createNetwork(24)
	e.ok("run", "-d", "--name", "c", "--network", net, "--hostname", "inside", "busybox", "sleep", "1000")
	out := e.ok("exec", "c", "sh", "-c",
		`for ns in cgroup ipc mnt net pid uts; do [ "$(readlink /proc/self/ns/$ns)" = "$(readlink /proc/1/ns/$ns)" ] && echo "$ns same" || echo "$ns differs"; done; hostname; ls /sys/class/net | tr '\n' ' '`)
	want := "cgroup same\nipc same\nmnt same\nnet same\npid same\nuts same\ninside\neth0 lo"
	if out != want {
		t.Fatalf("exec sees:\n%s\nwant:\n%s", out, want)
	}
	// And none of them is the host's.
	pid := int(e.state("c")["Pid"].(float64))
	for _, ns := range []string{"ipc", "mnt", "net", "pid", "uts"} {
		host, _ := os.Readlink("/proc/self/ns/" + ns)
		ctr, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
		if err != nil || ctr == host {
			t.Errorf("container's %s namespace %q is the host's %q (%v)", ns, ctr, host, err)
		}
	}
}

// start mounts the writable layer as it was: files written by exec (not
// by the command, which would write them again) and deletions of image
// files survive stop and start.
func TestStartKeepsEveryFileWritten(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "c", "busybox", "sleep", "1000")
	e.ok("exec", "c", "sh", "-c", "mkdir -p /srv/a/b && echo kept > /srv/a/b/file && rm /bin/ls")
	e.ok("stop", "-t", "0", "c")
	e.ok("start", "c")
	if got := e.ok("exec", "c", "sh", "-c", "cat /srv/a/b/file; [ -e /bin/ls ] && echo ls-back || echo ls-gone"); got != "kept\nls-gone" {
		t.Fatalf("after start the container sees %q", got)
	}
}

// start applies the limits again to the container's new cgroups.
func TestStartAppliesLimitsAgain(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "-m", "48m", "--pids-limit", "17", "--cpus", "0.5", "busybox", "sleep", "1000")
	e.ok("stop", "-t", "0", id)
	e.ok("start", id)
	if got := readLimit(t, "memory", id, "memory.limit_in_bytes"); got != "50331648" {
		t.Errorf("memory limit after start: %s", got)
	}
	if got := readLimit(t, "pids", id, "pids.max"); got != "17" {
		t.Errorf("pids limit after start: %s", got)
	}
	if got := readLimit(t, "cpu", id, "cpu.cfs_quota_us"); got != "50000" {
		t.Errorf("cpu quota after start: %s", got)
	}
	pid := fmt.Sprint(e.state(id)["Pid"].(float64))
	if procs := readTrim(t, filepath.Join(cgroupDir("memory", id), "cgroup.procs")); !strings.Contains("\n"+procs+"\n", "\n"+pid+"\n") {
		t.Errorf("pid %s not in its memory cgroup after start: %q", pid, procs)
	}
}

// stop -t bounds the wait: one second here, not the default ten.
func TestStopTimeoutIsHonoured(t *testing.T) {
	e := newEnv(t)
	// sleep as pid 1 ignores SIGTERM: only the SIGKILL after -t ends it.
	e.ok("run", "-d", "--name", "c", "busybox", "sleep", "1000")
	ctx, cancel := context.WithTimeout(context.Background(), 7*time.Second)
	defer cancel()
	if out, err := e.cmd(ctx, "stop", "-t", "1", "c").CombinedOutput(); err != nil || ctx.Err() != nil {
		t.Fatalf("stop -t 1 did not return well before the default 10 s: %v %v %s", err, ctx.Err(), out)
	}
	if st := e.state("c"); st["Status"] != "exited" || st["ExitCode"].(float64) != 137 {
		t.Fatalf("after stop -t 1: %v", st)
	}
}

func TestExecWorkdir(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "c", "-w", "/srv", "busybox", "sleep", "1000")
	if got := e.ok("exec", "-w", "/tmp", "c", "pwd"); got != "/tmp" {
		t.Errorf("exec -w /tmp runs in %q", got)
	}
	if got := e.ok("exec", "--workdir", "/etc", "c", "pwd"); got != "/etc" {
		t.Errorf("exec --workdir /etc runs in %q", got)
	}
	if got := e.ok("exec", "c", "pwd"); got != "/srv" {
		t.Errorf("exec without -w runs in %q, want the container's workdir", got)
	}
}

// The last line of output counts even without a newline.
func TestLogsKeepLastLineWithoutNewline(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "busybox", "sh", "-c", `printf 'first\nlast'; printf 'err-last' >&2`)
	waitFor(t, "container to exit", func() bool { return e.state(id)["Status"] == "exited" })
	r := e.run(0, "logs", id)
	if r.stdout != "first\nlast" || r.stderr != "err-last" {
		t.Fatalf("logs stdout %q stderr %q", r.stdout, r.stderr)
	}
}

// A container reaches hosts beyond the bridge through the outbound
// MASQUERADE: the "outside" host here is a network namespace with no
// route back to the container's subnet, so only a masqueraded
// connection can be answered.
func TestOutboundTrafficIsMasqueraded(t *testing.T) {
	e := newEnv(t)
	net, _ := e.createNetwork(24)
	tag := fmt.Sprintf("%06x", mrand.Intn(1<<24))
	ns, hostEnd, nsEnd := "mdo"+tag, "mdoh"+tag, "mdon"+tag
	third := mrand.Intn(256)
	hostIP, outsideIP := fmt.Sprintf("10.199.%d.1", third), fmt.Sprintf("10.199.%d.2", third)
	sh := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%q: %v: %s", args, err, out)
		}
	}
	sh("ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	sh("ip", "link", "add", hostEnd, "type", "veth", "peer", "name", nsEnd)
	t.Cleanup(func() { exec.Command("ip", "link", "del", hostEnd).Run() })
	sh("ip", "link", "set", nsEnd, "netns", ns)
	sh("ip", "addr", "add", hostIP+"/30", "dev", hostEnd)
	sh("ip", "link", "set", hostEnd, "up")
	sh("ip", "netns", "exec", ns, "ip", "addr", "add", outsideIP+"/30", "dev", nsEnd)
	sh("ip", "netns", "exec", ns, "ip", "link", "set", nsEnd, "up")
	sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	listener := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "busybox", "nc", "-l", "-p", "7777")
	listener.Stdin = strings.NewReader("pong\n")
	if err := listener.Start(); err != nil {
		t.Fatal(err)
	}
	defer listener.Wait()
	defer cancel()
	var got string
	for i := 0; i < 50 && got != "pong"; i++ {
		r, err := e.exec(nil, "run", "--rm", "--network", net, "busybox", "sh", "-c", "nc -w 3 "+outsideIP+" 7777 </dev/null")
		if err != nil {
			t.Fatal(err)
		}
		got = strings.TrimSpace(r.stdout)
		if got != "pong" {
			time.Sleep(100 * time.Millisecond) // the listener may not be up yet
		}
	}
	if got != "pong" {
		t.Fatalf("container could not reach a host outside its bridge: %q", got)
	}
}

// kernelAtLeast reports whether the running kernel is major.minor or newer.
func kernelAtLeast(t *testing.T, major, minor int) bool {
	t.Helper()
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	var maj, min int
	if _, err := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &maj, &min); err != nil {
		t.Fatalf("kernel release %q: %v", u.Release, err)
	}
	return maj > major || (maj == major && min >= minor)
}
