package tests

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mrand "math/rand"
)

// rawUDPHelper returns a directory of t's holding tests/testdata/rawudp,
// to be mounted into an attacker container.
func rawUDPHelper(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	installHelper(t, "rawudp", dir)
	return dir
}

// networkField returns a column (GATEWAY, BRIDGE, ...) of network ls for
// network name.
func (e *env) networkField(name, column string) string {
	e.t.Helper()
	lines := strings.Split(e.ok("network", "ls"), "\n")
	header := strings.Fields(lines[0])
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) == len(header) && f[0] == name {
			for i, h := range header {
				if h == column {
					return f[i]
				}
			}
		}
	}
	e.t.Fatalf("network %s or column %s not in network ls: %q", name, column, lines)
	return ""
}

// A container (default capabilities: CAP_NET_RAW) sends a datagram for
// 127.0.0.1 to the gateway's MAC address. The bridge has route_localnet
// on (for published ports on 127.0.0.1), so without a rule dropping such
// packets the host's loopback-only services receive it (CVE-2020-8558).
func TestContainerCannotReachHostLoopback(t *testing.T) {
	helper := rawUDPHelper(t) // first, so it is removed after the container
	e := newEnv(t)
	name, _ := e.createNetwork(24)
	port := 20000 + mrand.Intn(20000)
	web := e.ok("run", "-d", "--net", name, "-p", fmt.Sprintf("%d:80", port), "busybox", "sh", "-c", webScript)
	attacker := e.ok("run", "-d", "--net", name, "-v", helper+":/attack:ro", "busybox", "sleep", "1000")

	secret, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer secret.Close()
	gw := e.networkField(name, "GATEWAY")
	marker, err := net.ListenPacket("udp4", gw+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer marker.Close()
	mac, err := os.ReadFile("/sys/class/net/" + e.networkField(name, "BRIDGE") + "/address")
	if err != nil {
		t.Fatal(err)
	}
	send := func(dst string, to net.Addr, msg string) {
		_, p, _ := net.SplitHostPort(to.String())
		e.ok("exec", attacker, "/attack/rawudp", "eth0", strings.TrimSpace(string(mac)), dst, p, msg)
	}
	send("127.0.0.1", secret.LocalAddr(), "attack")
	// The same path to an address the container may reach: once this
	// arrived, so would have the attack, sent before it.
	send(gw, marker.LocalAddr(), "marker")
	buf := make([]byte, 64)
	marker.SetReadDeadline(time.Now().Add(20 * time.Second))
	if n, _, err := marker.ReadFrom(buf); err != nil || string(buf[:n]) != "marker" {
		t.Fatalf("marker datagram through the gateway: %q %v", buf[:n], err)
	}
	secret.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if n, from, err := secret.ReadFrom(buf); err == nil {
		t.Fatalf("a container reached a service on the host's 127.0.0.1: got %q from %v", buf[:n], from)
	} else if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatal(err)
	}

	// Publishing still works on loopback, from the host.
	want := "hello from " + web[:12] + "\n"
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != want {
		t.Errorf("published port on 127.0.0.1: %q, want %q", got, want)
	}
}

// httpVia fetches / from addr:port with busybox nc inside container ref
// of e, returning what came back (nothing if the connection failed).
func (e *env) httpVia(ref, addr string, port int) (string, error) {
	r, err := e.exec(nil, "exec", ref, "sh", "-c",
		fmt.Sprintf(`printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 %s %d`, addr, port))
	return r.stdout, err
}

// waitHTTP waits until the httpd of container ref answers on its address.
func (e *env) waitHTTP(ref string) string {
	e.t.Helper()
	ip := e.ip(ref)
	httpGet(e.t, "http://"+ip+"/")
	return ip
}

// Containers on one network cannot open connections to containers on
// another network, of the same state root or of another one, while
// containers on the same network and published ports keep working.
func TestNetworksAreIsolated(t *testing.T) {
	e, other := newEnv(t), newEnv(t)
	netA, _ := e.createNetwork(24)
	netB, _ := e.createNetwork(24)
	netC, _ := other.createNetwork(24)
	port := 20000 + mrand.Intn(20000)
	webA := e.ok("run", "-d", "--net", netA, "busybox", "sh", "-c", webScript)
	webB := e.ok("run", "-d", "--net", netB, "-p", fmt.Sprintf("%d:80", port), "busybox", "sh", "-c", webScript)
	webC := other.ok("run", "-d", "--net", netC, "busybox", "sh", "-c", webScript)
	ipA, ipB, ipC := e.waitHTTP(webA), e.waitHTTP(webB), other.waitHTTP(webC)
	client := e.ok("run", "-d", "--net", netA, "busybox", "sleep", "1000")

	// Removing another root's network must not weaken anyone's isolation.
	netD, _ := other.createNetwork(24)
	other.ok("network", "rm", netD)

	hello := func(id string) string { return "hello from " + id[:12] }
	if got, err := e.httpVia(client, ipA, 80); err != nil || !strings.Contains(got, hello(webA)) {
		t.Errorf("same network: %q %v", got, err)
	}
	if got, err := e.httpVia(client, hostAddress(t), port); err != nil || !strings.Contains(got, hello(webB)) {
		t.Errorf("published port of another network: %q %v", got, err)
	}
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); !strings.Contains(got, hello(webB)) {
		t.Errorf("published port from the host's loopback: %q", got)
	}
	// The blocked attempts wait for nc's connect timeout: run them together.
	var wg sync.WaitGroup
	for _, c := range []struct {
		what     string
		from, ip string
	}{
		{"to another network", client, ipB},
		{"to another state root's network", client, ipC},
		{"back from the other network", webB, ipA},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got, err := e.httpVia(c.from, c.ip, 80); err != nil || got != "" {
				t.Errorf("%s: connection to %s succeeded: %q %v", c.what, c.ip, got, err)
			}
		}()
	}
	wg.Wait()
}

var createdRE = regexp.MustCompile(`container ([0-9a-f]{12}) `)

// assertNoNetworkLeft checks a failed run (stderr at --log-level info,
// which names the container it created) left no record, mount, veth or
// port rule.
func (e *env) assertNoNetworkLeft(stderr string) {
	e.t.Helper()
	e.assertNothingLeft()
	m := createdRE.FindStringSubmatch(stderr)
	if m == nil {
		e.t.Fatalf("no container ID in %q", stderr)
	}
	if linkExists("mdv"+m[1][:11]) || len(iptablesRules(e.t, "mydocker:"+m[1])) > 0 {
		e.t.Errorf("veth or port rules of %s left", m[1])
	}
}

// A host program listens on a port; publishing that port must fail
// rather than silently take its traffic, and leave nothing behind.
func TestPublishRefusesHostPortInUse(t *testing.T) {
	e := newEnv(t)
	name, _ := e.createNetwork(24)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	u, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	tcpPort, udpPort := l.Addr().(*net.TCPAddr).Port, u.LocalAddr().(*net.UDPAddr).Port
	for _, args := range [][]string{
		{"-d", "-p", fmt.Sprintf("%d:80", tcpPort)},
		{"--rm", "-p", fmt.Sprintf("%d:80", tcpPort)},
		{"-d", "-p", fmt.Sprintf("%d:53/udp", udpPort)},
	} {
		r := e.run(125, append(append([]string{"--log-level", "info", "run", "--net", name}, args...), "busybox", "sleep", "1000")...)
		if !strings.Contains(r.stderr, "address already in use") {
			t.Errorf("%v: stderr %q", args, r.stderr)
		}
		e.assertNoNetworkLeft(r.stderr)
	}
	// The host program still gets its connections.
	accepted := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	c, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := <-accepted; err != nil {
		t.Fatal(err)
	}

	// A published port is held: no host program can take it later.
	port := 20000 + mrand.Intn(20000)
	e.ok("run", "-d", "--net", name, "-p", fmt.Sprintf("%d:80", port), "busybox", "sleep", "1000")
	if l2, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
		l2.Close()
		t.Fatalf("a host program could listen on published port %d", port)
	}
}

// One corrupt network file and one corrupt address pool: network ls lists
// the rest and reports each once, a run that fails on the bad pool
// leaves nothing, and network rm removes both.
func TestCorruptNetworkFiles(t *testing.T) {
	e := newEnv(t)
	good, _ := e.createNetwork(24)
	badNet, _ := e.createNetwork(24)
	badPool, _ := e.createNetwork(24)
	badBridge := e.networkField(badNet, "BRIDGE")
	for _, p := range []string{
		filepath.Join(e.root, "network", "networks", badNet+".json"),
		filepath.Join(e.root, "network", "ipam", badPool+".json"),
	} {
		orig, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// Should the test fail before network rm, the env's cleanup can
		// still remove the networks.
		t.Cleanup(func() {
			if _, err := os.Stat(p); err == nil {
				os.WriteFile(p, orig, 0o600)
			}
		})
		if err := os.WriteFile(p, []byte("\x00garbage{"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r := e.run(0, "network", "ls")
	if !strings.Contains(r.stdout, good) || !strings.Contains(r.stdout, badPool) || strings.Contains(r.stdout, badNet) {
		t.Errorf("network ls stdout: %q", r.stdout)
	}
	warnings := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(warnings) != 2 || !strings.Contains(r.stderr, badNet) || !strings.Contains(r.stderr, badPool) {
		t.Errorf("want one warning per bad file, got %q", r.stderr)
	}

	r = e.run(125, "--log-level", "info", "run", "--rm", "--net", badPool, "busybox", "true")
	if !strings.Contains(r.stderr, "corrupt address pool") {
		t.Errorf("run on a corrupt pool: %q", r.stderr)
	}
	e.assertNoNetworkLeft(r.stderr)
	if out := e.ok("ps", "-a", "-q"); out != "" {
		t.Errorf("ps -a after failed runs: %q", out)
	}
	// The good network still works.
	e.ok("run", "--rm", "--net", good, "busybox", "true")

	e.ok("network", "rm", badNet)
	e.ok("network", "rm", badPool)
	if linkExists(badBridge) || len(iptablesRules(t, "mydocker-net:"+badBridge)) > 0 {
		t.Errorf("bridge or rules of the corrupt network %s left", badNet)
	}
	if out := e.ok("network", "ls"); strings.Contains(out, badNet) || strings.Contains(out, badPool) {
		t.Errorf("removed networks still listed: %q", out)
	}
}

// bridgeName is the bridge mydocker makes for network name of this root:
// the name itself for a network the user made whose name is a free
// interface name (the tests' are), else a generated one.
func (e *env) bridgeName(name string) string {
	if len(name) <= 15 && name != "bridge" && !strings.HasPrefix(name, "mdbr") {
		return name
	}
	sum := sha256.Sum256([]byte(e.root + "\x00" + name))
	return "mdbr" + hex.EncodeToString(sum[:])[:10]
}

// network create killed with SIGKILL at any point leaves nothing that
// blocks the name or the subnet: the next create of the same network
// succeeds, and rm then leaves no bridge or rule behind.
func TestKillNetworkCreateAtAnyPoint(t *testing.T) {
	e := newEnv(t)
	probe, subnet := e.createNetwork(24) // a subnet free on this host
	if got := e.networkField(probe, "BRIDGE"); got != e.bridgeName(probe) {
		t.Fatalf("bridge name %s, test computes %s", got, e.bridgeName(probe))
	}
	e.ok("network", "rm", probe)
	name := probe + "k"
	bridge := e.bridgeName(name)
	t.Cleanup(func() { removeBridge(t, bridge) })
	// -1: the moment the bridge appears (before any rule or, without
	// recovery, any record); else a delay in milliseconds.
	for _, delay := range []int{-1, 0, 1, 2, 4, 7, 10, 15, 20, 30, 45, 70, -1, -1} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		c := e.cmd(ctx, "network", "create", "--subnet", subnet, name)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		if delay < 0 {
			waitFor(t, "the bridge", func() bool { return linkExists(bridge) })
		} else {
			time.Sleep(time.Duration(delay) * time.Millisecond)
		}
		c.Process.Signal(syscall.SIGKILL)
		c.Wait()
		cancel()
		// Whatever the kill left, the same network can be made again
		// (or it was complete), and removed without a trace.
		r, err := e.exec(nil, "network", "create", "--subnet", subnet, name)
		if err != nil || r.code != 0 && !strings.Contains(r.stderr, "already exists") {
			t.Fatalf("create after a create killed at %dms: %s", delay, r.stderr)
		}
		e.ok("network", "rm", name)
		if linkExists(bridge) || len(iptablesRules(t, "mydocker-net:"+bridge)) > 0 {
			t.Fatalf("bridge or rules left after a create killed at %dms and rm", delay)
		}
		if out := e.ok("network", "ls"); strings.Contains(out, name) {
			t.Fatalf("network still listed after rm: %q", out)
		}
	}
}

// removeBridge deletes a bridge of this test and its rules, should a
// failed test have left them (a passing one leaves none).
func removeBridge(t *testing.T, bridge string) {
	for _, table := range []string{"filter", "nat"} {
		out, err := exec.Command("iptables", "-w", "-t", table, "-S").Output()
		if err != nil {
			t.Error(err)
			continue
		}
		for _, r := range strings.Split(string(out), "\n") {
			if !strings.Contains(r, `"mydocker-net:`+bridge+`"`) {
				continue
			}
			args := strings.Fields(strings.Replace(r, "-A", "-D", 1))
			for i := range args {
				args[i] = strings.Trim(args[i], `"`)
			}
			if out, err := exec.Command("iptables", append([]string{"-w", "-t", table}, args...)...).CombinedOutput(); err != nil {
				t.Errorf("remove leftover rule %s: %v %s", r, err, out)
			}
		}
	}
	if linkExists(bridge) {
		if out, err := exec.Command("ip", "link", "del", bridge).CombinedOutput(); err != nil {
			t.Errorf("remove leftover bridge %s: %v %s", bridge, err, out)
		}
	}
}

// -p 127.0.0.1:PORT:80 publishes for the host's own programs only: not on
// the host's other addresses, nor to containers through their gateway.
func TestPublishOnLoopbackOnly(t *testing.T) {
	e := newEnv(t)
	name, _ := e.createNetwork(24)
	port := 20000 + mrand.Intn(20000)
	web := e.ok("run", "-d", "--net", name, "-p", fmt.Sprintf("127.0.0.1:%d:80", port), "busybox", "sh", "-c", webScript)
	want := "hello from " + web[:12] + "\n"
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != want {
		t.Errorf("published on 127.0.0.1: %q, want %q", got, want)
	}
	if ports := fmt.Sprint(e.inspect(web)["NetworkSettings"].(map[string]any)["Ports"]); !strings.Contains(ports, "127.0.0.1") {
		t.Errorf("inspect ports: %s", ports)
	}
	client := e.ok("run", "-d", "--net", name, "busybox", "sleep", "1000")
	for _, addr := range []string{hostAddress(t), e.networkField(name, "GATEWAY")} {
		if got, err := e.httpVia(client, addr, port); err != nil || got != "" {
			t.Errorf("port published on 127.0.0.1 reached on %s: %q %v", addr, got, err)
		}
	}
	// Another container may not publish the same port on another address.
	r := e.run(125, "run", "-d", "--net", name, "-p", fmt.Sprintf("%d:80", port), "busybox", "sleep", "1000")
	if !strings.Contains(r.stderr, "already published") {
		t.Errorf("port clash: %q", r.stderr)
	}
}
