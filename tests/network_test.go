package tests

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mrand "math/rand"
)

// createNetwork makes a network with a unique name on a private subnet no
// other network or host route uses, and returns its name and subnet.
func (e *env) createNetwork(prefix int) (string, string) {
	e.t.Helper()
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		e.t.Fatal(err)
	}
	name := "t" + hex.EncodeToString(b)
	for i := 0; i < 50; i++ {
		subnet := fmt.Sprintf("10.%d.%d.0/%d", 200+mrand.Intn(50), mrand.Intn(256), prefix)
		r, err := e.exec(nil, "network", "create", "--driver", "bridge", "--subnet", subnet, name)
		if err != nil {
			e.t.Fatal(err)
		}
		if r.code == 0 {
			return name, subnet
		}
		if !strings.Contains(r.stderr, "overlaps") {
			e.t.Fatalf("network create: %s", r.stderr)
		}
	}
	e.t.Fatal("no free subnet found")
	return "", ""
}

func (e *env) ip(ref string) string {
	e.t.Helper()
	ns := e.inspect(ref)["NetworkSettings"].(map[string]any)
	ip, _ := ns["IPAddress"].(string)
	return ip
}

// hostAddress is the host's first global IPv4 address (not loopback).
func hostAddress(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLoopback() && !strings.HasPrefix(ipn.IP.String(), "10.2") {
			return ipn.IP.String()
		}
	}
	t.Fatal("no host address")
	return ""
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	client := &http.Client{Timeout: 3 * time.Second}
	var last error
	for i := 0; i < 50; i++ { // httpd needs a moment to listen
		resp, err := client.Get(url)
		if err == nil {
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil {
				return string(body)
			}
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s: %v", url, last)
	return ""
}

func iptablesRules(t *testing.T, match string) []string {
	t.Helper()
	var out []string
	for _, table := range []string{"nat", "filter"} {
		b, err := exec.Command("iptables", "-w", "-t", table, "-S").Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, match) {
				out = append(out, l)
			}
		}
	}
	return out
}

func linkExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

// vethLeft reports whether the veth name is still there after the few
// seconds the kernel may take to remove it: a --rm container's exit
// leaves its veth to the kernel, which removes it with the container's
// network namespace once that is freed.
func vethLeft(name string) bool {
	for deadline := time.Now().Add(5 * time.Second); linkExists(name); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return true
		}
	}
	return false
}

const webScript = `mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www`

func TestNetworkCreateListRemove(t *testing.T) {
	e := newEnv(t)
	name, subnet := e.createNetwork(24)
	out := e.ok("network", "list")
	if !strings.Contains(out, name) || !strings.Contains(out, subnet) {
		t.Fatalf("list: %q", out)
	}
	fields := strings.Fields(strings.Split(out, "\n")[1])
	bridge := fields[len(fields)-1]
	if !linkExists(bridge) || len(iptablesRules(t, "mydocker-net:"+bridge)) == 0 {
		t.Fatalf("bridge %s or its rules missing", bridge)
	}
	r := e.run(125, "network", "create", "--subnet", subnet, name)
	if !strings.Contains(r.stderr, "already exists") {
		t.Errorf("name clash: %q", r.stderr)
	}
	other := "o" + name
	r = e.run(125, "network", "create", "--subnet", subnet, other)
	if !strings.Contains(r.stderr, "overlaps") {
		t.Errorf("overlap: %q", r.stderr)
	}
	hostNet := net.ParseIP(hostAddress(t)).Mask(net.CIDRMask(24, 32)).String() + "/24"
	r = e.run(125, "network", "create", "--subnet", hostNet, other)
	if !strings.Contains(r.stderr, "overlaps host route") {
		t.Errorf("host route overlap: %q", r.stderr)
	}
	e.run(125, "network", "create", "--subnet", "127.0.0.0/24", other)
	e.run(125, "network", "create", "--subnet", "10.1.2.3/24", other)
	e.run(125, "network", "create", "--driver", "overlay", "--subnet", "10.250.250.0/24", other)
	e.ok("network", "ls")
	e.ok("network", "remove", name)
	if linkExists(bridge) || len(iptablesRules(t, "mydocker-net:"+bridge)) > 0 {
		t.Fatal("bridge or rules left after network remove")
	}
	r = e.run(125, "network", "rm", name)
	if !strings.Contains(r.stderr, "no such network") {
		t.Errorf("remove unknown: %q", r.stderr)
	}
}

func TestNetworkHTTPAndPorts(t *testing.T) {
	e := newEnv(t)
	name, subnet := e.createNetwork(24)
	_, ipnet, _ := net.ParseCIDR(subnet)
	port := 20000 + mrand.Intn(20000)
	web := e.ok("run", "-d", "--name", "web", "-net", name, "-p", fmt.Sprintf("%d:80", port), "busybox", "sh", "-c", webScript)
	ip := e.ip("web")
	if !ipnet.Contains(net.ParseIP(ip)) {
		t.Fatalf("address %s not in %s", ip, subnet)
	}
	want := "hello from " + web[:12] + "\n"
	// host -> container, and the published port on loopback and the host's address
	for _, url := range []string{
		"http://" + ip + "/",
		fmt.Sprintf("http://127.0.0.1:%d/", port),
		fmt.Sprintf("http://%s:%d/", hostAddress(t), port),
	} {
		if got := httpGet(t, url); got != want {
			t.Errorf("GET %s = %q, want %q", url, got, want)
		}
	}
	// container -> container, directly and through the published port
	out := e.ok("run", "--rm", "--network", name, "busybox", "sh", "-c",
		fmt.Sprintf("wget -qO- http://%s/; wget -qO- http://%s:%d/", ip, hostAddress(t), port))
	if out != strings.Repeat(want, 2)[:len(want)*2-1] {
		t.Errorf("from another container: %q", out)
	}
	// /etc/hosts names the container on its address
	hosts := e.ok("exec", "web", "cat", "/etc/hosts")
	if !strings.Contains(hosts, ip+"\t"+web[:12]+" web") {
		t.Errorf("/etc/hosts: %q", hosts)
	}
	if got := e.ok("exec", "web", "cat", "/etc/hostname"); got != web[:12] {
		t.Errorf("/etc/hostname %q", got)
	}
	if rc := e.ok("exec", "web", "cat", "/etc/resolv.conf"); strings.Contains(rc, "127.0.0.") {
		t.Errorf("loopback nameserver inside: %q", rc)
	}
	// A second container may not take the same host port.
	r := e.run(125, "run", "-d", "--net", name, "-p", fmt.Sprintf("%d:80", port), "busybox", "sleep", "100")
	if !strings.Contains(r.stderr, "already published") {
		t.Errorf("port clash: %q", r.stderr)
	}
	// network remove refuses while the container exists
	r = e.run(125, "network", "rm", name)
	if !strings.Contains(r.stderr, "in use") {
		t.Errorf("remove in use: %q", r.stderr)
	}
	// stop: veth and rules go; start: they come back, same address
	e.ok("stop", "-t", "1", "web")
	if linkExists("mdv"+web[:11]) || len(iptablesRules(t, "mydocker:"+web)) > 0 {
		t.Fatal("veth or port rules left after stop")
	}
	e.ok("start", "web")
	if got := e.ip("web"); got != ip {
		t.Errorf("address changed on start: %s -> %s", ip, got)
	}
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != want {
		t.Errorf("after start: %q", got)
	}
	e.ok("rm", "-f", "web")
	if linkExists("mdv"+web[:11]) || len(iptablesRules(t, "mydocker:"+web)) > 0 {
		t.Fatal("veth or port rules left after rm")
	}
	e.ok("network", "rm", name)
}

func TestNetworkParallelAddressesAndFullSubnet(t *testing.T) {
	e := newEnv(t)
	name, _ := e.createNetwork(29) // 5 container addresses
	var wg sync.WaitGroup
	ids := make([]string, 5)
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := e.exec(nil, "run", "-d", "--net", name, "busybox", "sleep", "1000")
			if err != nil || r.code != 0 {
				t.Errorf("run %d: %v %s", i, err, r.stderr)
			}
			ids[i] = strings.TrimSpace(r.stdout)
		}(i)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	seen := map[string]bool{}
	for _, id := range ids {
		ip := e.ip(id)
		if seen[ip] {
			t.Fatalf("address %s given twice", ip)
		}
		seen[ip] = true
	}
	r := e.run(125, "run", "-d", "--net", name, "busybox", "sleep", "1000")
	if !strings.Contains(r.stderr, "full") {
		t.Fatalf("full subnet: %q", r.stderr)
	}
	freed := e.ip(ids[2])
	e.ok("rm", "-f", ids[2])
	id := e.ok("run", "-d", "--net", name, "busybox", "sleep", "1000")
	if got := e.ip(id); got != freed {
		t.Fatalf("freed address %s not handed out again (got %s)", freed, got)
	}
}

func TestDefaultBridgeNetwork(t *testing.T) {
	e := newEnv(t)
	out := e.ok("run", "--rm", "--network", "bridge", "busybox", "sh", "-c", "ip -4 addr show eth0 | grep -c inet; ip route | grep -c default")
	if out != "1\n1" {
		t.Fatalf("default network: %q", out)
	}
	if !strings.Contains(e.ok("network", "ls"), "bridge") {
		t.Fatal("default network not listed")
	}
}

func TestNetworkErrors(t *testing.T) {
	e := newEnv(t)
	name, _ := e.createNetwork(24)
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"run", "--net", "nosuchnet", "busybox", "true"}, "no such network: nosuchnet"},
		{[]string{"run", "--net", name, "-p", "80:", "busybox", "true"}, `"80:"`},
		{[]string{"run", "--net", name, "-p", "99999:80", "busybox", "true"}, "99999"},
		{[]string{"run", "--net", name, "-p", "80:80/sctp", "busybox", "true"}, "sctp"},
		{[]string{"run", "--network", "none", "-p", "8080:80", "busybox", "true"}, "conflicting options"},
	}
	for _, c := range cases {
		r := e.run(125, c.args...)
		if !strings.Contains(r.stderr, c.msg) {
			t.Errorf("%v: stderr %q should contain %q", c.args, r.stderr, c.msg)
		}
	}
	e.assertNothingLeft()
}

// A container with --network none keeps its own namespace with only lo.
func TestNoNetworkOnlyLoopback(t *testing.T) {
	e := newEnv(t)
	if out := e.ok("run", "--rm", "--network", "none", "busybox", "sh", "-c", "ls /sys/class/net"); out != "lo" {
		t.Fatalf("interfaces: %q", out)
	}
}

// A networked container whose monitor was SIGKILLed: rm -f still removes
// its veth, its port rules and its address.
func TestNetworkCleanupAfterKilledMonitor(t *testing.T) {
	e := newEnv(t)
	name, _ := e.createNetwork(24)
	port := 20000 + mrand.Intn(20000)
	id := e.ok("run", "-d", "--net", name, "-p", fmt.Sprintf("%d:80", port), "busybox", "sleep", "1000")
	monitor := int(e.record(id)["State"].(map[string]any)["MonitorPid"].(float64))
	if err := syscall.Kill(monitor, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ps to match the processes", e.psIsTruthful)
	e.ok("rm", "-f", id)
	if linkExists("mdv"+id[:11]) || len(iptablesRules(t, "mydocker:"+id)) > 0 {
		t.Fatal("veth or port rules left after rm -f")
	}
	e.ok("network", "rm", name) // refused if the address were still held
}
