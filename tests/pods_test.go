package tests

// Joined namespaces (--network|--ipc|--pid|--uts container:C) and pods
// (pod create|ps|inspect|start|stop|restart|rm|logs, run --pod, ps --pod),
// end to end: real containers, and podman as the oracle of pod ps.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// hostNamespaces are the host's namespaces: the test's own.
func hostNamespaces(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, ns := range []string{"net", "ipc", "uts", "pid", "mnt", "cgroup"} {
		l, err := os.Readlink("/proc/self/ns/" + ns)
		if err != nil {
			t.Fatal(err)
		}
		out[ns] = l
	}
	return out
}

// nsLinks is a shell line printing "name link" for each namespace of the
// shell itself.
const nsLinks = `for n in net ipc uts pid mnt cgroup; do echo "$n $(readlink /proc/self/ns/$n)"; done`

func parseNsLinks(out string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			m[f[0]] = f[1]
		}
	}
	return m
}

func (e *env) pidNamespace(ref, ns string) string {
	e.t.Helper()
	l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", e.containerPid(ref), ns))
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// A container joins another's network, ipc, uts and pid namespaces: it
// reaches C's server on localhost, reads C's /dev/shm, has C's hostname
// and /etc files, sees C's processes, and has no address of its own.
func TestJoinNamespacesOfContainer(t *testing.T) {
	e := newEnv(t)
	netName, _ := e.createNetwork(24)
	a := e.ok("run", "-d", "--name", "a", "--network", netName, "--ipc", "shareable", "busybox", "sh", "-c",
		`echo shared > /dev/shm/f; `+webScript)
	aIP := e.ip("a")
	want := "hello from " + a[:12] + "\n"
	out := e.ok("run", "--rm", "--network", "container:a", "--ipc", "container:a", "--uts", "container:a", "--pid", "container:a",
		"busybox", "sh", "-c", `for i in $(seq 100); do wget -qO- http://127.0.0.1/ 2>/dev/null && break; sleep 0.1; done
cat /dev/shm/f; hostname; cat /etc/hostname; ip -o -4 addr show | grep -v ' lo ' | awk '{print $4}'; ps -o comm | grep -c httpd`)
	lines := strings.Split(out, "\n")
	if len(lines) != 6 || lines[0]+"\n" != want || lines[1] != "shared" || lines[2] != a[:12] || lines[3] != a[:12] ||
		!strings.HasPrefix(lines[4], aIP+"/") || lines[5] != "1" {
		t.Fatalf("joined container saw %q; want a's page, its /dev/shm, hostname %s, address %s and httpd", out, a[:12], aIP)
	}
	// Its record and inspect say what it shares; it holds no address or veth.
	j := e.ok("run", "-d", "--name", "j", "--network", "container:a", "--ipc", "container:a", "--uts", "container:a", "busybox", "sleep", "100")
	v := e.inspect("j")
	hc := v["HostConfig"].(map[string]any)
	if hc["NetworkMode"] != "container:"+a || hc["IpcMode"] != "container:"+a || hc["UTSMode"] != "container:"+a || hc["PidMode"] != "" {
		t.Errorf("inspect HostConfig modes: %v %v %v %v", hc["NetworkMode"], hc["IpcMode"], hc["UTSMode"], hc["PidMode"])
	}
	if ip, _ := v["NetworkSettings"].(map[string]any)["IPAddress"].(string); ip != "" {
		t.Errorf("joined container has its own address %q", ip)
	}
	if linkExists("mdv" + j[:11]) {
		t.Error("joined container got a veth")
	}
	for _, ns := range []string{"net", "ipc", "uts"} {
		if e.pidNamespace("j", ns) != e.pidNamespace("a", ns) {
			t.Errorf("%s namespace not a's", ns)
		}
	}
	for _, ns := range []string{"pid", "mnt"} {
		if e.pidNamespace("j", ns) == e.pidNamespace("a", ns) {
			t.Errorf("%s namespace shared without being asked", ns)
		}
	}
	if got := e.inspect("a")["HostConfig"].(map[string]any)["IpcMode"]; got != "shareable" {
		t.Errorf("a's IpcMode %v", got)
	}
	// Stopping a: j keeps the namespace while it runs (as in Docker);
	// starting a joiner of a stopped container fails clearly.
	jNet := e.pidNamespace("j", "net")
	e.ok("stop", "-t", "1", "a")
	if !e.running("j") || e.pidNamespace("j", "net") != jNet {
		t.Fatal("joined container lost its namespace when a stopped")
	}
	e.ok("stop", "-t", "0", "j")
	r := e.run(125, "start", "j")
	oneLineError(t, r, "namespace of container a", "not running")
	if e.running("j") {
		t.Error("j runs without a")
	}
	// a's /dev/shm is unmounted with it, and removal leaves nothing.
	if m := mountsUnder(t, filepath.Join(e.root, "containers", a)); len(m) > 0 {
		t.Errorf("a's shm still mounted after stop: %v", m)
	}
	e.ok("rm", "-f", "j", "a")
	e.assertNothingLeft()
}

// --ipc host and --uts host share the host's; the container never
// renames the host.
func TestJoinHostIpcUts(t *testing.T) {
	e := newEnv(t)
	host := hostNamespaces(t)
	hn, _ := os.Hostname()
	out := e.ok("run", "--rm", "--network", "none", "--ipc", "host", "--uts", "host", "busybox", "sh", "-c", nsLinks+"; hostname")
	ns := parseNsLinks(out)
	if ns["ipc"] != host["ipc"] || ns["uts"] != host["uts"] {
		t.Errorf("ipc/uts not the host's: %v vs %v", ns, host)
	}
	for _, n := range []string{"net", "pid", "mnt"} {
		if ns[n] == host[n] {
			t.Errorf("%s namespace is the host's", n)
		}
	}
	if !strings.HasSuffix(out, "\n"+hn) {
		t.Errorf("hostname in --uts host: %q, want %q", out, hn)
	}
	if now, _ := os.Hostname(); now != hn {
		t.Fatalf("host renamed to %q", now)
	}
}

// A container joining every namespace it can gains nothing: none of its
// namespaces is the host's, and its capabilities and seccomp filter are
// a plain container's.
func TestJoinedContainerGainsNothing(t *testing.T) {
	e := newEnv(t)
	host := hostNamespaces(t)
	e.ok("run", "-d", "--name", "c", "--network", "none", "--ipc", "shareable", "busybox", "sleep", "100")
	const probe = nsLinks + `; grep -E '^(CapEff|CapBnd|Seccomp|NoNewPrivs):' /proc/self/status`
	plain := e.ok("run", "--rm", "--network", "none", "busybox", "sh", "-c", probe)
	joined := e.ok("run", "--rm", "--network", "container:c", "--ipc", "container:c", "--uts", "container:c", "--pid", "container:c",
		"busybox", "sh", "-c", probe)
	ns := parseNsLinks(joined)
	for n, l := range host {
		if ns[n] == "" || ns[n] == l {
			t.Errorf("joined container's %s namespace is the host's (%q)", n, ns[n])
		}
	}
	status := func(out string) string {
		var keep []string
		for _, l := range strings.Split(out, "\n") {
			if regexp.MustCompile(`^(CapEff|CapBnd|Seccomp|NoNewPrivs):`).MatchString(l) {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if status(joined) != status(plain) || !strings.Contains(status(plain), "Seccomp:\t2") {
		t.Errorf("joined container's confinement differs:\n%s\nplain:\n%s", status(joined), status(plain))
	}
	// Inside, it cannot rename the shared uts namespace or leave it.
	e.run(1, "run", "--rm", "--uts", "container:c", "busybox", "sh", "-c", "hostname evil || exit 1")
	if got := e.ok("exec", "c", "hostname"); got == "evil" {
		t.Fatal("joined container renamed c")
	}
	// The process that started it went back to the host's namespaces:
	// no thread of the monitor of a joined container is left in c's.
	e.ok("run", "-d", "--name", "j", "--network", "container:c", "--ipc", "container:c", "--uts", "container:c", "--pid", "container:c",
		"busybox", "sleep", "100")
	mon := int(e.state("j")["MonitorPid"].(float64))
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", mon))
	if err != nil || len(tasks) < 2 {
		t.Fatalf("monitor %d threads: %v %v", mon, tasks, err)
	}
	for _, task := range tasks {
		for _, ns := range []string{"net", "ipc", "uts", "pid_for_children", "mnt"} {
			want := host[strings.TrimSuffix(ns, "_for_children")]
			if got, err := os.Readlink(filepath.Join(task, "ns", ns)); err != nil || got != want {
				t.Errorf("monitor thread %s is in %s %q, not the host's %q (%v)", filepath.Base(task), ns, got, want, err)
			}
		}
	}
	e.ok("rm", "-f", "j", "c")
	e.assertNothingLeft()
}

// A joined container keeps the shared uts namespace's name as it is now:
// it never sets the name it was created with over it.
func TestJoinedUTSKeepsCurrentName(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "c", "--network", "none", "--privileged", "busybox", "sh", "-c", "sleep 100")
	j := e.ok("create", "--uts", "container:c", "--network", "none", "busybox", "hostname")
	e.ok("exec", "c", "hostname", "renamed")
	if got := e.run(0, "start", "-a", j).stdout; strings.TrimSpace(got) != "renamed" {
		t.Errorf("joined container's hostname %q, want c's current %q", got, "renamed")
	}
	if got := e.ok("exec", "c", "hostname"); got != "renamed" {
		t.Errorf("joining renamed c back to %q", got)
	}
	e.ok("rm", "-f", j, "c")
	e.assertNothingLeft()
}

// Joining what cannot be joined fails with exit 125, one line, and
// leaves nothing behind.
func TestJoinErrors(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "up", "--network", "none", "busybox", "sleep", "100")
	e.ok("create", "--name", "down", "--network", "none", "busybox", "true")
	before := len(e.containerIDs())
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--network", "container:nosuch"}, "nosuch"},
		{[]string{"--ipc", "container:nosuch"}, "nosuch"},
		{[]string{"--network", "container:down"}, "not running"},
		{[]string{"--uts", "container:down"}, "not running"},
		{[]string{"--pid", "container:down"}, "not running"},
		{[]string{"--ipc", "container:up"}, "not shareable"},
		{[]string{"--network", "container:"}, "--network"},
		{[]string{"--ipc", "bogus"}, "--ipc"},
		{[]string{"--pid", "shareable"}, "--pid"},
		{[]string{"--uts", "container:"}, "--uts"},
		{[]string{"--network", "container:up", "-p", "8080:80"}, "port publishing"},
		{[]string{"--network", "container:up", "--hostname", "x"}, "hostname"},
		{[]string{"--network", "container:up", "--dns", "1.1.1.1"}, "dns"},
		{[]string{"--network", "container:up", "--add-host", "x:1.2.3.4"}, "host-to-IP"},
		{[]string{"--uts", "container:up", "--hostname", "x"}, "UTS"},
	} {
		r := e.run(125, append(append([]string{"run", "--rm"}, c.args...), "busybox", "true")...)
		oneLineError(t, r, c.want)
		if n := len(e.containerIDs()); n != before {
			t.Fatalf("run %v left %d records, want %d", c.args, n, before)
		}
	}
	// As Docker, create takes a stopped C (it may run by then); start
	// refuses while it does not.
	j := e.ok("create", "--network", "container:down", "busybox", "true")
	r := e.run(125, "start", j)
	oneLineError(t, r, "network namespace of container down", "not running")
	e.ok("rm", j)
	if n := len(e.containerIDs()); n != before {
		t.Errorf("%d records left, want %d", n, before)
	}
}

// pod is a pod made by a test: its ID and name.
func (e *env) podCreate(args ...string) (id, name string) {
	e.t.Helper()
	name = fmt.Sprintf("p%06d", mrand.Intn(1000000))
	id = e.ok(append([]string{"pod", "create", "--name", name}, args...)...)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id) {
		e.t.Fatalf("pod create printed %q", id)
	}
	return id, name
}

type podInspect struct {
	ID               string `json:"Id"`
	Name             string
	State            string
	Labels           map[string]string
	SharedNamespaces []string
	InfraContainerID string
	Containers       []struct{ ID, Name, State string }
}

func (e *env) podInspect(ref string) podInspect {
	e.t.Helper()
	var p podInspect
	if err := json.Unmarshal([]byte(e.ok("pod", "inspect", ref)), &p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// Containers of a pod reach each other on localhost (nc), the pod's
// published port reaches them from the host, they share /dev/shm and the
// pod's hostname, and each keeps its own pid namespace.
func TestPodSharesNetworkIpcHostname(t *testing.T) {
	e := newEnv(t)
	netName, _ := e.createNetwork(24)
	port := 20000 + mrand.Intn(20000)
	podID, pod := e.podCreate("--network", netName, "-p", fmt.Sprintf("127.0.0.1:%d:80", port), "-l", "tier=web")
	p := e.podInspect(pod)
	if p.ID != podID || p.State != "Running" || len(p.Containers) != 1 || p.Labels["tier"] != "web" ||
		strings.Join(p.SharedNamespaces, ",") != "net,ipc,uts" || p.Containers[0].ID != p.InfraContainerID {
		t.Fatalf("pod inspect after create: %+v", p)
	}
	web := e.ok("run", "-d", "--pod", pod, "--name", "web", "busybox", "sh", "-c", webScript)
	e.ok("run", "-d", "--pod", pod, "--name", "listener", "busybox", "sh", "-c", "nc -l -p 7777 > /tmp/got; exec sleep 100")
	// The other container talks to both over localhost.
	// The listener may take a while to listen under an emulated CPU: the
	// sender tries for 30 s and says whether it got through, so a
	// message that never arrives is told from one never sent.
	out := e.ok("run", "--rm", "--pod", pod, "busybox", "sh", "-c", `sent=no; for i in $(seq 300); do echo over-localhost | nc 127.0.0.1 7777 && { sent=sent; break; }; sleep 0.1; done; echo $sent
for i in $(seq 100); do wget -qO- http://127.0.0.1/ 2>/dev/null && break; sleep 0.1; done
hostname; echo from-shm > /dev/shm/x; ps -o comm | grep -cE 'httpd|nc|pause' || true`)
	want := "sent\nhello from " + pod + "\n" + pod + "\n0"
	if out != want {
		t.Fatalf("pod member saw %q, want %q (sent to the listener, page, hostname, no other's processes)", out, want)
	}
	waitFor(t, "the message over localhost", func() bool {
		r, _ := e.exec(nil, "exec", "listener", "cat", "/tmp/got")
		return strings.TrimSpace(r.stdout) == "over-localhost"
	})
	if got := e.ok("exec", "web", "cat", "/dev/shm/x"); got != "from-shm" {
		t.Errorf("/dev/shm not shared: %q", got)
	}
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != "hello from "+pod+"\n" {
		t.Errorf("hostPort: %q", got)
	}
	// A second pod cannot take the port: its infra container fails to
	// start, and nothing of that pod stays.
	ids := len(e.containerIDs())
	r := e.run(125, "pod", "create", "--network", netName, "-p", fmt.Sprintf("127.0.0.1:%d:80", port))
	oneLineError(t, r, "already")
	if n := len(e.containerIDs()); n != ids || len(strings.Fields(e.ok("pod", "ps", "-q"))) != 1 {
		t.Errorf("failed pod create left %d containers (had %d) or a pod", n, ids)
	}
	v := e.inspect("web")
	if v["Pod"] != podID || v["HostConfig"].(map[string]any)["NetworkMode"] != "container:"+p.InfraContainerID {
		t.Errorf("inspect web: Pod %v, NetworkMode %v", v["Pod"], v["HostConfig"].(map[string]any)["NetworkMode"])
	}
	// ps --pod names the pod; the running infra container is listed, as podman lists it.
	ps := e.ok("ps", "--pod")
	if lines := strings.Split(ps, "\n"); !strings.HasSuffix(lines[0], "POD") || len(lines) != 4 {
		t.Fatalf("ps --pod:\n%s", ps)
	}
	for _, l := range strings.Split(ps, "\n")[1:] {
		if !strings.HasSuffix(l, " "+pod) {
			t.Errorf("ps --pod row without the pod: %q", l)
		}
	}
	if !strings.Contains(ps, podID[:12]+"-infra") || !strings.Contains(ps, web[:12]) {
		t.Errorf("ps --pod misses the infra or web container:\n%s", ps)
	}
	e.ok("pod", "rm", "-f", pod)
	if len(iptablesRules(t, fmt.Sprint(port))) > 0 {
		t.Error("port rules left after pod rm -f")
	}
	e.assertNothingLeft()
	e.assertNoPods()
}

// assertNoPods checks no pod record is left.
func (e *env) assertNoPods() {
	e.t.Helper()
	ents, _ := os.ReadDir(filepath.Join(e.root, "pods"))
	for _, en := range ents {
		if regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(en.Name()) {
			e.t.Errorf("pod record left: %s", en.Name())
		}
	}
	if out := e.ok("pod", "ps", "-q"); out != "" {
		e.t.Errorf("pod ps -q after removal: %q", out)
	}
}

// podState is the STATUS column of pod ps for pod name.
func (e *env) podState(name string) (state string, count int) {
	e.t.Helper()
	for _, l := range strings.Split(e.ok("pod", "ps"), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) > 2 && f[1] == name {
			n, _ := strconv.Atoi(f[len(f)-2]) // # OF CONTAINERS, before RESTARTS
			return f[2], n
		}
	}
	e.t.Fatalf("pod %s not in pod ps", name)
	return "", 0
}

// A pod's state follows its containers: Running, Degraded, Exited, and
// Running again on start (infra first); restart; rm refuses a running pod
// without -f; logs prefix each line with the container's name.
func TestPodStatesAndLifecycle(t *testing.T) {
	e := newEnv(t)
	_, pod := e.podCreate("--network", "none")
	if s, n := e.podState(pod); s != "Running" || n != 1 {
		t.Fatalf("new pod: %s %d", s, n)
	}
	e.ok("run", "-d", "--pod", pod, "--name", "m1", "busybox", "sh", "-c", "echo one; exec sleep 100")
	e.ok("run", "-d", "--pod", pod, "--name", "m2", "busybox", "sh", "-c", "echo two >&2; exec sleep 100")
	if s, n := e.podState(pod); s != "Running" || n != 3 {
		t.Fatalf("pod with two members: %s %d", s, n)
	}
	e.ok("stop", "-t", "0", "m1")
	if s, _ := e.podState(pod); s != "Degraded" {
		t.Fatalf("one member stopped: %s", s)
	}
	e.ok("pod", "stop", "-t", "0", pod)
	if s, _ := e.podState(pod); s != "Exited" {
		t.Fatalf("pod stopped: %s", s)
	}
	for _, c := range e.podInspect(pod).Containers {
		if c.State != "exited" {
			t.Errorf("after pod stop %s is %s", c.Name, c.State)
		}
	}
	// Starting one member starts the infra container first.
	e.ok("start", "m1")
	if s, _ := e.podState(pod); s != "Degraded" || !e.running(e.podInspect(pod).InfraContainerID) {
		t.Fatalf("after start m1: %s", s)
	}
	e.ok("pod", "start", pod)
	if s, n := e.podState(pod); s != "Running" || n != 3 {
		t.Fatalf("pod started: %s %d", s, n)
	}
	if e.pidNamespace("m1", "net") != e.pidNamespace(e.podInspect(pod).InfraContainerID, "net") {
		t.Error("m1 started again outside the infra's network namespace")
	}
	infraPid := e.containerPid(e.podInspect(pod).InfraContainerID)
	e.ok("pod", "restart", "-t", "0", pod)
	if s, _ := e.podState(pod); s != "Running" || e.containerPid(e.podInspect(pod).InfraContainerID) == infraPid {
		t.Fatalf("pod restart: %s", s)
	}
	logs := e.run(0, "pod", "logs", pod)
	if !strings.Contains(logs.stdout, "m1 one\n") || !strings.Contains(logs.stderr, "m2 two\n") {
		t.Errorf("pod logs: stdout %q stderr %q", logs.stdout, logs.stderr)
	}
	// A created member makes the pod Degraded until it runs.
	e.ok("create", "--pod", pod, "--name", "m3", "busybox", "true")
	if s, n := e.podState(pod); s != "Degraded" || n != 4 {
		t.Errorf("with a created member: %s %d", s, n)
	}
	r := e.run(125, "pod", "rm", pod)
	oneLineError(t, r, "running")
	if s, _ := e.podState(pod); s != "Degraded" {
		t.Fatal("pod rm without -f changed the pod")
	}
	if out := e.ok("pod", "rm", "-f", pod); !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(out) {
		t.Errorf("pod rm printed %q", out)
	}
	e.assertNothingLeft()
	e.assertNoPods()
	// A stopped pod is removed without -f.
	_, pod = e.podCreate("--network", "none", "--share", "net")
	e.ok("pod", "stop", "-t", "0", pod)
	e.ok("pod", "rm", pod)
	e.assertNothingLeft()
	e.assertNoPods()
}

// pod rm -f cleans everything up after the infra container's monitor
// (and with it the infra) was killed with SIGKILL, and after a member's.
func TestPodRmAfterKilledMonitors(t *testing.T) {
	e := newEnv(t)
	netName, _ := e.createNetwork(24)
	port := 20000 + mrand.Intn(20000)
	podID, pod := e.podCreate("--network", netName, "-p", fmt.Sprintf("127.0.0.1:%d:80", port))
	e.ok("run", "-d", "--pod", pod, "--name", "m", "busybox", "sleep", "100")
	infra := e.podInspect(pod).InfraContainerID
	for _, ref := range []string{infra, "m"} {
		st := e.state(ref)
		mon := int(st["MonitorPid"].(float64))
		if mon <= 0 {
			t.Fatalf("%s has no monitor pid", ref)
		}
		if err := unix.Kill(mon, unix.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the infra container to die with its monitor", func() bool { return !e.running(infra) })
	e.ok("pod", "rm", "-f", pod)
	if len(iptablesRules(t, fmt.Sprint(port))) > 0 || len(iptablesRules(t, infra)) > 0 {
		t.Error("port rules left")
	}
	if m := mountsUnder(t, e.root); len(m) > 0 {
		t.Errorf("mounts left: %v", m)
	}
	e.assertNothingLeft()
	e.assertNoPods()
	if _, err := os.Stat(filepath.Join(e.root, "pods", podID)); !os.IsNotExist(err) {
		t.Errorf("pod directory left: %v", err)
	}
}

// Bad pod commands and bad --pod uses fail with 125, one line, nothing
// made.
func TestPodBadInputs(t *testing.T) {
	e := newEnv(t)
	_, pod := e.podCreate("--network", "none")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"pod", "create", "--share", "pid"}, "pid"},
		{[]string{"pod", "create", "--share", "net,bogus"}, "bogus"},
		{[]string{"pod", "create", "-p", "notaport"}, "notaport"},
		{[]string{"pod", "create", "--name", "bad name"}, "bad name"},
		{[]string{"pod", "create", "--name", pod}, "already in use"},
		{[]string{"pod", "create", "--network", "none", "-p", "8080:80"}, "published ports"},
		{[]string{"pod", "create", "--share", "ipc", "-p", "8080:80"}, "published ports"},
		{[]string{"pod", "create", "--network", "nosuchnet"}, "nosuchnet"},
		{[]string{"pod", "create", "--network", "container:x"}, "container:x"},
		{[]string{"pod", "create", "extra"}, "extra"},
		{[]string{"pod", "inspect", "nosuch"}, "no such pod"},
		{[]string{"pod", "start", "nosuch"}, "no such pod"},
		{[]string{"pod", "stop", "nosuch"}, "no such pod"},
		{[]string{"pod", "restart", "nosuch"}, "no such pod"},
		{[]string{"pod", "rm", "-f", "nosuch"}, "no such pod"},
		{[]string{"pod", "rm"}, "requires"},
		{[]string{"pod", "logs"}, "exactly one"},
		{[]string{"pod", "ps", "--format", "{{.ID}}"}, "--format"},
		{[]string{"pod", "stop", "-t", "-1", pod}, "-t"},
		{[]string{"run", "--rm", "--pod", "nosuch", "busybox", "true"}, "no such pod"},
		{[]string{"run", "--rm", "--pod", "", "busybox", "true"}, "--pod"},
		{[]string{"run", "--rm", "--pod", pod, "-p", "8080:80", "busybox", "true"}, "published ports"},
		{[]string{"run", "--rm", "--pod", pod, "--network", "none", "busybox", "true"}, "--network"},
		{[]string{"run", "--rm", "--pod", pod, "--ipc", "host", "busybox", "true"}, "--ipc"},
		{[]string{"run", "--rm", "--pod", pod, "--hostname", "h", "busybox", "true"}, "hostname"},
		{[]string{"create", "--pod", "nosuch", "busybox", "true"}, "no such pod"},
	} {
		r := e.run(125, c.args...)
		oneLineError(t, r, c.want)
	}
	if ids := e.containerIDs(); len(ids) != 1 {
		t.Errorf("containers made by failed commands: %d records", len(ids))
	}
	if out := strings.Fields(e.ok("pod", "ps", "-q")); len(out) != 1 {
		t.Errorf("pods made by failed commands: %v", out)
	}
	e.ok("pod", "rm", "-f", pod)
	e.assertNothingLeft()
	e.assertNoPods()
}

// pod ps has podman's columns, and says what podman says of a pod with
// a running infra container.
func TestPodPsMatchesPodman(t *testing.T) {
	e := newEnv(t)
	p := newPodman(t)
	name := "oracle" + randHex(4)
	// Without internet podman 4.3 builds its pause image from catatonit.
	p.run("pod", "create", "--name", name, "--network", "none", "--cgroup-parent", p.cgroupParent)
	t.Cleanup(func() {
		if _, errOut, err := p.exec("pod", "rm", "-f", name); err != nil {
			t.Errorf("podman pod rm: %v: %s", err, errOut)
		}
	})
	// In make vmtest's guest runc cannot start podman's infra container
	// ("error reopening /dev/null inside container": podman's setup on
	// that root, not ours); there podman's pod stays Created and only
	// its STATUS is not compared.
	started := true
	if _, errOut, err := p.exec("pod", "start", name); err != nil {
		if !strings.Contains(errOut, "reopening /dev/null") {
			t.Fatalf("podman pod start: %v: %s", err, errOut)
		}
		t.Logf("podman cannot start a pod here; STATUS is not compared: %s", strings.TrimSpace(errOut))
		started = false
	}
	theirs := strings.Split(strings.TrimSpace(p.run("pod", "ps")), "\n")
	e.podCreateNamed(name)
	ours := strings.Split(e.ok("pod", "ps"), "\n")
	columns := regexp.MustCompile(`\S+( \S+)*`)
	// podman's columns, then kubectl's RESTARTS.
	if got, want := columns.FindAllString(ours[0], -1), append(columns.FindAllString(theirs[0], -1), "RESTARTS"); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("pod ps header %q, want podman's and RESTARTS: %q", got, want)
	}
	fields := func(row string) []string { return regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(row), -1) }
	if len(theirs) != 2 || len(ours) != 2 {
		t.Fatalf("pod ps rows: ours %q podman %q", ours, theirs)
	}
	o, th := fields(ours[1]), fields(theirs[1])
	if len(o) != len(th)+1 || o[len(o)-1] != "0" {
		t.Fatalf("pod ps row %q, podman's %q", o, th)
	}
	for i, col := range []string{"POD ID", "NAME", "STATUS", "CREATED", "INFRA ID", "# OF CONTAINERS"} {
		switch col {
		case "POD ID", "INFRA ID":
			if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(o[i]) {
				t.Errorf("%s %q", col, o[i])
			}
		case "CREATED":
			if !strings.HasSuffix(o[i], " ago") || !strings.HasSuffix(th[i], " ago") {
				t.Errorf("CREATED %q, podman's %q", o[i], th[i])
			}
		case "STATUS":
			if o[i] != "Running" || (started && th[i] != "Running") {
				t.Errorf("STATUS %q, podman's %q", o[i], th[i])
			}
		default:
			if o[i] != th[i] {
				t.Errorf("%s %q, podman's %q", col, o[i], th[i])
			}
		}
	}
	if q := e.ok("pod", "ps", "-q"); !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(q) {
		t.Errorf("pod ps -q: %q", q)
	}
	// The infra container is a listed container in both, named alike.
	theirPs := p.run("ps", "-a", "--format", "{{.Names}}")
	ourPs := e.ok("ps", "--format", "{{.Names}}")
	if !regexp.MustCompile(`^[0-9a-f]{12}-infra$`).MatchString(strings.TrimSpace(theirPs)) ||
		!regexp.MustCompile(`^[0-9a-f]{12}-infra$`).MatchString(ourPs) {
		t.Errorf("infra container names: ours %q, podman's %q", ourPs, theirPs)
	}
	e.ok("pod", "rm", "-f", name)
}

func (e *env) podCreateNamed(name string) string {
	e.t.Helper()
	return e.ok("pod", "create", "--name", name, "--network", "none")
}

// pod create killed with SIGKILL at any point leaves nothing pod rm -f
// cannot remove: no record, mount, cgroup, veth or port rule after it.
func TestKillPodCreateAtAnyPoint(t *testing.T) {
	e := newEnv(t)
	netName, _ := e.createNetwork(24)
	base := 20000 + mrand.Intn(20000)
	for i, delay := range []time.Duration{0, 2, 5, 10, 20, 40, 80, 150} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		c := e.cmd(ctx, "pod", "create", "--network", netName, "-p", fmt.Sprintf("127.0.0.1:%d:80", base+i))
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay * time.Millisecond)
		if err := c.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		c.Wait()
		cancel()
		e.noteState()
	}
	waitFor(t, "ps to match the processes", e.psIsTruthful)
	if pods := strings.Fields(e.ok("pod", "ps", "-q", "--no-trunc")); len(pods) > 0 {
		e.ok(append([]string{"pod", "rm", "-f"}, pods...)...)
	}
	// A container whose record was being written when the kill came has
	// no config.json naming its pod: rm -f removes it by the ID ps -a
	// warns about, as after a killed run.
	for _, id := range e.containerIDs() {
		if _, err := os.Stat(filepath.Join(e.root, "containers", id, "config.json")); err == nil {
			t.Errorf("container %s with a record outlived its pod", id)
		}
		e.ok("rm", "-f", id)
	}
	e.assertNothingLeft()
	e.assertNoPods()
	for i := range 8 {
		if len(iptablesRules(t, fmt.Sprint(base+i))) > 0 {
			t.Errorf("port %d rules left", base+i)
		}
	}
}

// A pod create whose infra container cannot start (its host port is
// taken) removes that container before the pod's record, the reverse of
// how it made them: at no moment does a container name a pod that is
// gone, which pod rm -f could not find and rm refuses to remove. The
// test watches pod create's undo and, at the first such orphan it sees,
// kills it there, as a kill or a failure at that point would leave it.
func TestFailedPodCreateNeverOrphansItsInfra(t *testing.T) {
	e := newEnv(t)
	netName, _ := e.createNetwork(24)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	for range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		c := e.cmd(ctx, "pod", "create", "--network", netName, "-p", fmt.Sprintf("127.0.0.1:%d:80", port))
		var stderr bytes.Buffer
		c.Stderr = &stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		var orphan string
		var werr error
	watch:
		for {
			select {
			case werr = <-done:
				break watch
			default:
			}
			if orphan = e.orphanMember(); orphan != "" {
				c.Process.Signal(syscall.SIGKILL) //nolint:errcheck // it may have just exited
				werr = <-done
				break
			}
		}
		cancel()
		e.noteState()
		if orphan != "" {
			t.Errorf("container %s named a pod that was gone", orphan)
			// The kill may have come after the undo went on to remove it.
			if r, err := e.exec(nil, "rm", "-f", orphan); err != nil || (r.code != 0 && !strings.Contains(r.stderr, "no such container")) {
				t.Fatalf("rm -f %s: %v %+v", orphan, err, r)
			}
			continue
		}
		code := -1
		if ee, ok := werr.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != 125 || !strings.Contains(stderr.String(), "address already in use") {
			t.Fatalf("pod create on a taken port: exit %d, %q; want 125 and address already in use", code, stderr.String())
		}
	}
	e.assertNothingLeft()
	e.assertNoPods()
}

// orphanMember is a container whose record names a pod without one, or "".
// The container is read before its pod: a pod create makes the pod's
// record first, so a container it has just made never looks orphaned.
// And read again after: a container seen before and after the pod was
// seen gone (an ID is never reused) was there while its pod was not; one
// removed in between, then its pod, was never an orphan.
func (e *env) orphanMember() string {
	for _, id := range e.containerIDs() {
		config := filepath.Join(e.root, "containers", id, "config.json")
		data, err := os.ReadFile(config)
		if err != nil {
			continue
		}
		var rec struct{ Config struct{ Pod string } }
		if json.Unmarshal(data, &rec) != nil || rec.Config.Pod == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(e.root, "pods", rec.Config.Pod, "pod.json")); !os.IsNotExist(err) {
			continue
		}
		if _, err := os.Stat(config); err == nil {
			return id
		}
	}
	return ""
}

// pod logs -f follows every container of the pod until each has exited,
// every line after its container's name.
func TestPodLogsFollow(t *testing.T) {
	e := newEnv(t)
	_, pod := e.podCreate("--network", "none")
	dir := t.TempDir()
	// Each container waits for its go file, so the lines come after
	// pod logs -f has started following.
	for _, n := range []string{"one", "two"} {
		e.ok("run", "-d", "--pod", pod, "--name", n, "-v", dir+":/sync", "busybox", "sh", "-c",
			"echo "+n+"-early; while [ ! -e /sync/go ]; do sleep 0.05; done; echo "+n+"-late")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := e.cmd(ctx, "pod", "logs", "-f", pod)
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	// Both early lines are out before the late ones are written: the
	// late ones can only come by following.
	rd := bufio.NewReader(stdout)
	var got []string
	for len(got) < 2 {
		l, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("pod logs -f ended after %q: %v", got, err)
		}
		got = append(got, strings.TrimSpace(l))
	}
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("pod logs -f: %v", err)
	}
	got = append(got, strings.Split(strings.TrimSpace(string(rest)), "\n")...)
	sort.Strings(got)
	if strings.Join(got, "|") != "one one-early|one one-late|two two-early|two two-late" {
		t.Errorf("pod logs -f: %q", got)
	}
	e.ok("pod", "rm", "-f", pod)
	e.assertNothingLeft()
	e.assertNoPods()
}

// A pod's infra container goes only with its pod: rm refuses it (even
// with -f) and container prune leaves it, as podman does.
func TestPodInfraGoesWithItsPod(t *testing.T) {
	e := newEnv(t)
	_, pod := e.podCreate("--network", "none")
	infra := e.podInspect(pod).InfraContainerID
	for _, args := range [][]string{{"rm", infra}, {"rm", "-f", infra}} {
		r := e.run(125, args...)
		oneLineError(t, r, "infra container of pod "+pod, "pod rm")
	}
	e.ok("pod", "stop", "-t", "0", pod)
	e.ok("container", "prune", "-f")
	if p := e.podInspect(pod); len(p.Containers) != 1 || p.Containers[0].ID != infra {
		t.Fatalf("container prune removed the pod's infra container: %+v", p)
	}
	// run --pod starts the stopped pod's infra container first, as podman.
	if got := e.ok("run", "--rm", "--pod", pod, "busybox", "hostname"); got != pod {
		t.Errorf("hostname in a stopped pod started by run: %q", got)
	}
	if s, _ := e.podState(pod); s != "Running" || !e.running(infra) {
		t.Errorf("pod after run --pod: %s", s)
	}
	e.ok("pod", "rm", "-f", pod)
	e.assertNothingLeft()
	e.assertNoPods()
}

// pod ps counts the restarts of the pod's containers as kubectl's
// RESTARTS does, and pod inspect has each container's count.
func TestPodPsCountsRestarts(t *testing.T) {
	e := newEnv(t)
	e.podCreateNamed("flaky")
	e.ok("run", "-d", "--pod", "flaky", "--name", "flaky-a", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 3")
	e.ok("run", "-d", "--pod", "flaky", "--name", "flaky-b", "busybox", "sleep", "1000")
	waitFor(t, "two restarts", func() bool {
		return e.inspect("flaky-a")["RestartCount"] == float64(2) && e.inspect("flaky-a")["State"].(map[string]any)["Status"] == "exited"
	})
	rows := strings.Split(e.ok("pod", "ps"), "\n")
	if len(rows) != 2 || !strings.HasSuffix(rows[0], "RESTARTS") || !strings.HasSuffix(rows[1], " 2") {
		t.Fatalf("pod ps: %q", rows)
	}
	var v struct {
		Restarts   int
		Containers []struct {
			Name         string
			RestartCount int
		}
	}
	if err := json.Unmarshal([]byte(e.ok("pod", "inspect", "flaky")), &v); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, c := range v.Containers {
		counts[c.Name] = c.RestartCount
	}
	if v.Restarts != 2 || counts["flaky-a"] != 2 || counts["flaky-b"] != 0 {
		t.Fatalf("pod inspect: %+v", v)
	}
	e.ok("pod", "rm", "-f", "flaky")
}
