package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// traceLine is a --trace line: "trace ch.N TOPIC DURATIONms COMMAND".
var traceLine = regexp.MustCompile(`^trace ch\.(\d+) +(\S+) +\d+\.\d{3}ms  (.+)$`)

// traceSteps returns the commands of every trace line of stderr, in order,
// failing the test on a trace line that names no chapter of the series.
func traceSteps(t *testing.T, stderr string) []string {
	t.Helper()
	var steps []string
	for _, line := range strings.Split(stderr, "\n") {
		if !strings.HasPrefix(line, "trace") {
			continue
		}
		m := traceLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("trace line names no chapter: %q", line)
		}
		if ch, _ := strconv.Atoi(m[1]); ch < 1 || ch > 18 {
			t.Fatalf("trace line names chapter %d, not one of the series' 1-18: %q", ch, line)
		}
		if strings.Contains(line, "-> failed") {
			t.Errorf("a step failed: %q", line)
		}
		steps = append(steps, "ch."+m[1]+" "+m[3])
	}
	if len(steps) == 0 {
		t.Fatalf("no trace on stderr:\n%s", stderr)
	}
	return steps
}

// stepIndex is the index of the first step (at or after from) matching
// re, failing the test if there is none.
func stepIndex(t *testing.T, steps []string, from int, re string) int {
	t.Helper()
	r := regexp.MustCompile(re)
	for i := from; i < len(steps); i++ {
		if r.MatchString(steps[i]) {
			return i
		}
	}
	t.Fatalf("no step matching %q after step %d in:\n%s", re, from, strings.Join(steps, "\n"))
	return -1
}

// inOrder checks each pattern matches a step after the previous one's.
func inOrder(t *testing.T, steps []string, res ...string) {
	t.Helper()
	at := 0
	for _, re := range res {
		at = stepIndex(t, steps, at, re) + 1
	}
}

// A foreground run with --trace: every kernel step in the order the series
// teaches it, each naming its chapter, on stderr only.
func TestTraceRunStepsInOrder(t *testing.T) {
	e := newEnv(t)
	netw, _ := e.createNetwork(24)
	vol := t.TempDir()
	r := e.run(0, "--trace", "run", "--rm", "--network", netw, "-m", "64m", "-v", vol+":/data", "busybox", "echo", "hello")
	if r.stdout != "hello\n" {
		t.Fatalf("stdout %q: the trace must stay on stderr", r.stdout)
	}
	steps := traceSteps(t, r.stderr)
	inOrder(t, steps,
		`^ch\.14 mkdir .*/overlay2/[0-9a-f]{64} `, // the container's directories
		`^ch\.5 mount -t overlay overlay -o lowerdir=.*,upperdir=.*/upper,workdir=.*/work(,volatile)? .*/merged$`,
		`^ch\.2 echo 67108864 > /sys/fs/cgroup/.*memory`, // -m, before init exists
		`^ch\.1 clone\(CLONE_NEWUTS\|CLONE_NEWPID\|CLONE_NEWNS\|CLONE_NEWIPC\|CLONE_NEWNET\)`,
		`^ch\.3 write\(3\): the config to init through a pipe`,
		`^ch\.18 ip link add mdv\S+ master \S+ type veth peer name eth0`, // veth before its address
		`^ch\.18 nsenter -t \d+ -n ip addr add 10\.\S+ dev eth0$`,
		`^ch\.18 nsenter -t \d+ -n ip route add default via`,
	)
	// init's own steps, relayed from inside, in their order.
	inOrder(t, steps,
		`^ch\.1 clone\(`,
		`^ch\.3 read\(3\): the config from the pipe`,
		`^ch\.4 mount --make-rprivate /$`,
		`^ch\.6 mount --bind `+regexp.QuoteMeta(vol)+` /data$`,
		`^ch\.1 mount -t proc .* /proc$`,
		`^ch\.4 mount -t tmpfs .* /dev$`,
		`^ch\.4 cd .*/merged && pivot_root \. \.$`,
		`^ch\.4 umount -l \.`,
		`^ch\.1 hostname `,
		`^ch\.3 execve\(\["echo" "hello"\]\)`,
		// the teardown once it exits: unmount, then the cgroups
		`^ch\.5 umount .*/merged( .*/lower)?$`, // and the image view, overlay2/<id>/lower,
		`^ch\.2 rmdir /sys/fs/cgroup/`,
		`^ch\.13 rm -rf .*/overlay2/[0-9a-f]{64} `, // --rm: only once nothing is mounted there
	)

	// The network's teardown: its rules go before its bridge.
	r = e.run(0, "--trace", "network", "rm", netw)
	inOrder(t, traceSteps(t, r.stderr), `^ch\.16 iptables -t nat -D POSTROUTING .*MASQUERADE`, `^ch\.16 ip link del \S+$`)
}

// MYDOCKER_TRACE=1 (what course mode sets) is --trace; a value that is
// not a boolean is refused in one line, with nothing made.
func TestTraceEnvironment(t *testing.T) {
	e := newEnv(t)
	r := e.runEnv([]string{"MYDOCKER_TRACE=1"}, "run", "--rm", "--network", "none", "busybox", "true")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	inOrder(t, traceSteps(t, r.stderr), `^ch\.1 clone\(`, `^ch\.4 cd .* && pivot_root`, `^ch\.3 execve`, `^ch\.13 rm -rf `)

	r = e.runEnv([]string{"MYDOCKER_TRACE=0"}, "run", "--rm", "--network", "none", "busybox", "true")
	if r.code != 0 || strings.Contains(r.stderr, "trace") {
		t.Fatalf("MYDOCKER_TRACE=0: exit %d, stderr %q", r.code, r.stderr)
	}
	r = e.runEnv([]string{"MYDOCKER_TRACE=yes please"}, "run", "--network", "none", "busybox", "true")
	if r.code != 125 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "MYDOCKER_TRACE") {
		t.Fatalf("bad MYDOCKER_TRACE: exit %d, stderr %q", r.code, r.stderr)
	}
	e.assertNothingLeft()
}

// run -d --trace: the start's steps reach the caller's terminal before it
// exits, stdout still only the ID; rm -f traces the teardown, unmounting
// before deleting anything; stop --trace shows the teardown its
// container's monitor does.
func TestTraceDetachedStopAndRm(t *testing.T) {
	e := newEnv(t)
	r := e.run(0, "--trace", "run", "-d", "--network", "none", "busybox", "sleep", "1000")
	id := strings.TrimSpace(r.stdout)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id) {
		t.Fatalf("run -d stdout %q: only the ID", r.stdout)
	}
	inOrder(t, traceSteps(t, r.stderr),
		`^ch\.8 setsid mydocker-monitor `,
		`^ch\.5 mount -t overlay `,
		`^ch\.1 clone\(`,
		`^ch\.4 cd .* && pivot_root \. \.$`,
		`^ch\.3 execve\(\["sleep" "1000"\]\)`,
	)

	r = e.run(0, "--trace", "exec", id, "true")
	inOrder(t, traceSteps(t, r.stderr), `^ch\.11 nsenter -t \d+ --.* \["true"\]: setns`)

	r = e.run(0, "--trace", "stop", "-t", "0", id)
	inOrder(t, traceSteps(t, r.stderr),
		`^ch\.12 kill -(TERM|KILL) \d+$`,
		`^ch\.5 umount .*/overlay2/`+id+`/merged( .*/lower)?$`,
		`^ch\.2 rmdir /sys/fs/cgroup/.*`+id+`$`,
	)
	if _, err := os.Stat(filepath.Join(e.root, "containers", id, "teardown.trace")); !os.IsNotExist(err) {
		t.Errorf("stop left its teardown request behind: %v", err)
	}

	e.run(0, "start", id)
	r = e.run(0, "--trace", "rm", "-f", id)
	steps := traceSteps(t, r.stderr)
	umount := stepIndex(t, steps, 0, `^ch\.5 umount .*/overlay2/`+id+`/merged( .*/lower)?$`)
	rmWorkspace := stepIndex(t, steps, 0, `^ch\.13 rm -rf .*/overlay2/`+id+` `)
	rmRecord := stepIndex(t, steps, 0, `^ch\.13 rm -rf .*/containers/`+id+`$`)
	if !(stepIndex(t, steps, 0, `^ch\.13 kill -KILL`) < umount && umount < rmWorkspace && rmWorkspace < rmRecord) {
		t.Fatalf("rm -f must kill, unmount, then delete:\n%s", strings.Join(steps, "\n"))
	}
	e.assertNothingLeft()
}

// explainJSON mirrors the parts of `explain --format json` the tests read.
type explainJSON struct {
	ID         string `json:"Id"`
	Pid        int
	Namespaces struct {
		Chapter    int
		Namespaces []struct {
			Type       string
			Inode      uint64
			SharedWith []string
		}
	}
	Cgroups struct {
		Chapter int
		Version string
		Cgroups []struct {
			Controller, Path string
			Values           map[string]string
		}
	}
	Rootfs struct {
		Chapter                int
		Upper, Merged, Options string
		Lower                  []string
	}
	Mounts struct {
		Chapter int
		Mounts  []struct{ Target, Type, Volume string }
	}
	Network *struct {
		Chapter  int
		Bridge   string
		Address  string
		VethHost string
		Devices  []struct {
			Name  string
			Addrs []string
		}
		Rules []string
	}
}

// explain shows the real kernel state of a live container: the namespace
// inodes the host sees in /proc/PID/ns, the limits -m and --cpus wrote,
// the overlay's layers, the volume, the address and its rules.
func TestExplainRunningContainer(t *testing.T) {
	e := newEnv(t)
	netw, _ := e.createNetwork(24)
	vol := t.TempDir()
	id := e.ok("run", "-d", "--network", netw, "-m", "64m", "--cpus", "0.5", "-p", "127.0.0.1::80",
		"-v", vol+":/data", "busybox", "sleep", "1000")
	pid := int(e.state(id)["Pid"].(float64))
	var x explainJSON
	if err := json.Unmarshal([]byte(e.ok("explain", "--format", "json", id[:12])), &x); err != nil {
		t.Fatal(err)
	}
	if x.ID != id || x.Pid != pid {
		t.Fatalf("explain of %s: Id %s, Pid %d (want %d)", id, x.ID, x.Pid, pid)
	}

	// ch.1: the inodes are the kernel's, and the new ones are not the host's.
	seen := map[string]bool{}
	for _, ns := range x.Namespaces.Namespaces {
		link, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/" + ns.Type)
		if err != nil {
			t.Fatal(err)
		}
		if want := ns.Type + ":[" + strconv.FormatUint(ns.Inode, 10) + "]"; link != want {
			t.Errorf("%s namespace: explain says %s, the kernel %s", ns.Type, want, link)
		}
		host, err := os.Readlink("/proc/self/ns/" + ns.Type)
		if err != nil {
			t.Fatal(err)
		}
		shared := len(ns.SharedWith) == 1 && ns.SharedWith[0] == "host"
		if shared != (host == link) {
			t.Errorf("%s namespace: shared with %v, but the host's is %s and the container's %s", ns.Type, ns.SharedWith, host, link)
		}
		seen[ns.Type] = !shared
	}
	for _, typ := range []string{"uts", "pid", "mnt", "ipc", "net", "cgroup"} {
		if !seen[typ] {
			t.Errorf("the container's own %s namespace is missing or shown as the host's", typ)
		}
	}
	if x.Namespaces.Chapter != 1 || x.Cgroups.Chapter != 2 || x.Rootfs.Chapter != 5 || x.Mounts.Chapter != 6 || x.Network == nil || x.Network.Chapter != 16 {
		t.Errorf("sections name the wrong chapters: %+v", x)
	}

	// ch.2: the limits as the cgroup files hold them.
	values := map[string]string{}
	for _, g := range x.Cgroups.Cgroups {
		if !strings.Contains(g.Path, id) {
			t.Errorf("cgroup path %s is not the container's", g.Path)
		}
		for k, v := range g.Values {
			values[k] = v
			data, err := os.ReadFile(filepath.Join(g.Path, k))
			if err != nil || strings.TrimSpace(string(data)) != v {
				t.Errorf("%s/%s: explain says %q, the file %q (%v)", g.Path, k, v, data, err)
			}
		}
	}
	if x.Cgroups.Version == "v1" {
		if values["memory.limit_in_bytes"] != strconv.Itoa(64<<20) || values["cpu.cfs_quota_us"] != "50000" {
			t.Errorf("v1 limits: %v", values)
		}
	} else if values["memory.max"] != strconv.Itoa(64<<20) || !strings.HasPrefix(values["cpu.max"], "50000 ") {
		t.Errorf("v2 limits: %v", values)
	}

	// ch.5/14: the layers, top first, and the upper dir, as mounted.
	layers := e.record(id)["Layers"].([]any)
	if len(x.Rootfs.Lower) != len(layers) || x.Rootfs.Lower[0] != layers[len(layers)-1].(string) {
		t.Errorf("lower %v, record's layers %v", x.Rootfs.Lower, layers)
	}
	if x.Rootfs.Upper != filepath.Join(e.root, "overlay2", id, "upper") || !strings.Contains(x.Rootfs.Options, "upperdir="+x.Rootfs.Upper) {
		t.Errorf("upper %s, options %s", x.Rootfs.Upper, x.Rootfs.Options)
	}

	// ch.6: the volume among the container's mounts.
	found := false
	for _, m := range x.Mounts.Mounts {
		found = found || (m.Target == "/data" && m.Volume == vol)
	}
	if !found {
		t.Errorf("volume %s at /data not among the mounts: %+v", vol, x.Mounts.Mounts)
	}

	// ch.16-18: the address inspect shows, on eth0 inside, and its rules.
	ip := e.ip(id)
	if !strings.HasPrefix(x.Network.Address, ip+"/") || !strings.Contains(x.Network.VethHost, id[:11]) {
		t.Errorf("address %s (inspect: %s), veth %s", x.Network.Address, ip, x.Network.VethHost)
	}
	onEth0 := false
	for _, d := range x.Network.Devices {
		onEth0 = onEth0 || (d.Name == "eth0" && len(d.Addrs) == 1 && strings.HasPrefix(d.Addrs[0], ip+"/"))
	}
	dnat := false
	for _, rule := range x.Network.Rules {
		dnat = dnat || (strings.Contains(rule, "DNAT") && strings.Contains(rule, ip+":80"))
	}
	if !onEth0 || !dnat {
		t.Errorf("devices %+v, rules %v", x.Network.Devices, x.Network.Rules)
	}

	// The text names each chapter and shows the same facts.
	text := e.ok("explain", id)
	for _, want := range []string{"ch.1 ", "ch.2 ", "ch.4 ", "ch.5 ", "ch.6 ", "ch.14 ", "ch.15 ", "ch.16 ", "ch.17 ", "ch.18 ", ip + "/",
		"net:[" + strconv.FormatUint(nsInodeOf(t, pid, "net"), 10) + "]"} {
		if !strings.Contains(text, want) {
			t.Errorf("explain's text lacks %q:\n%s", want, text)
		}
	}
}

func nsInodeOf(t *testing.T, pid int, typ string) uint64 {
	t.Helper()
	link, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/" + typ)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(link, typ+":["), "]"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// explain of what is not a running container fails in one line, as
// inspect does for one that does not exist (1), and as exec does for one
// that is not running (125), and changes nothing.
func TestExplainFailures(t *testing.T) {
	e := newEnv(t)
	created := e.ok("create", "--network", "none", "busybox", "true")
	exited := e.ok("run", "-d", "--network", "none", "busybox", "true")
	waitFor(t, "the container to exit", func() bool { return e.state(exited)["Status"] == "exited" })
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"explain", "nosuchcontainer"}, 1, "no such container"},
		{[]string{"explain", created}, 125, "is not running"},
		{[]string{"explain", exited}, 125, "is not running"},
		{[]string{"explain"}, 125, "requires exactly one CONTAINER"},
		{[]string{"explain", created, exited}, 125, "requires exactly one CONTAINER"},
		{[]string{"explain", "--format", "table {{.Pid}}", created}, 125, "invalid --format"},
		{[]string{"explain", "--format", "{{", created}, 125, "format"},
		{[]string{"explain", "--bogus", created}, 125, "unknown flag --bogus"},
	} {
		r := e.run(tc.code, tc.args...)
		if r.stdout != "" || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("%q: stdout %q, stderr %q: want one line saying %q", tc.args, r.stdout, r.stderr, tc.msg)
		}
	}
	e.run(0, "rm", created, exited)
	e.assertNothingLeft()
}
