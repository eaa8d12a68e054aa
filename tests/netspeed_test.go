package tests

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The default network's cost on run --rm (issue 18): a container's veth
// is removed by the kernel with its network namespace rather than by
// mydocker, and mydocker waits for that removal before it frees the
// address. These tests hold the results to what the contract promises:
// every container gets a working network, and once a run --rm, stop or
// rm has returned its veth is gone and its address free.

// gatewayOf is the gateway of an IPv4 subnet: its first host address.
func gatewayOf(t *testing.T, subnet string) string {
	t.Helper()
	_, n, err := net.ParseCIDR(subnet)
	if err != nil {
		t.Fatal(err)
	}
	gw := n.IP.To4()
	gw[3]++
	return gw.String()
}

// firstHost is the first address of subnet a container gets.
func firstHost(t *testing.T, subnet string) string {
	t.Helper()
	_, n, err := net.ParseCIDR(subnet)
	if err != nil {
		t.Fatal(err)
	}
	ip := n.IP.To4()
	ip[3] += 2
	return ip.String()
}

// portsOn lists the interfaces plugged into bridge.
func portsOn(t *testing.T, bridge string) []string {
	t.Helper()
	out, err := exec.Command("ip", "-o", "link", "show", "master", bridge).CombinedOutput()
	if err != nil {
		t.Fatalf("ip link show master %s: %v: %s", bridge, err, out)
	}
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(l); len(f) > 1 {
			names = append(names, strings.Split(strings.TrimSuffix(f[1], ":"), "@")[0])
		}
	}
	return names
}

// shortRun runs one run --rm on network name that pings the gateway, and
// checks that its veth goes (the kernel removes it with the container's
// network namespace, once run --rm has returned). It returns an error
// rather than failing, so goroutines can call it.
func (e *env) shortRun(name, gw string) error {
	r, err := e.exec(nil, "run", "--rm", "--network", name, "busybox", "sh", "-c",
		"hostname; ping -c 1 -W 10 "+gw+" >/dev/null && echo reached")
	if err != nil || r.code != 0 {
		return fmt.Errorf("run: %v, exit %d: %s", err, r.code, r.stderr)
	}
	f := strings.Fields(r.stdout)
	if len(f) != 2 || f[1] != "reached" || len(f[0]) != 12 {
		return fmt.Errorf("gateway %s not reached: %q %s", gw, r.stdout, r.stderr)
	}
	// The hostname is the short ID, which names the veth.
	if veth := "mdv" + f[0][:11]; vethLeft(veth) {
		return fmt.Errorf("veth %s still there seconds after run --rm returned", veth)
	}
	return nil
}

// Short containers one after another and side by side each get a working
// network, and none leaves an interface or an address: the kernel removes
// each one's veth with its network namespace, once run --rm has returned,
// and its address is free again then (TestNetworkDepartedAddressKept
// shows it is not before).
func TestNetworkShortContainersInARowAndInParallel(t *testing.T) {
	e := newEnv(t)
	// 29 addresses: one lost per run would run out before the end.
	name, subnet := e.createNetwork(27)
	gw := gatewayOf(t, subnet)
	bridge := e.bridgeName(name)
	for i := 0; i < 8; i++ {
		if err := e.shortRun(name, gw); err != nil {
			t.Fatalf("run %d in a row: %v", i, err)
		}
		if ports := portsOn(t, bridge); len(ports) > 0 {
			t.Fatalf("after run %d in a row: interfaces left on %s: %v", i, bridge, ports)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 24)
	for i := 0; i < 24; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := e.shortRun(name, gw); err != nil {
				errs <- fmt.Errorf("run %d in parallel: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if ports := portsOn(t, bridge); len(ports) > 0 {
		t.Errorf("interfaces left on %s: %v", bridge, ports)
	}
	// Every address is free again: the next container has the first.
	if got := e.ok("run", "--rm", "--network", name, "busybox", "ip", "-4", "-o", "addr", "show", "eth0"); !strings.Contains(got, " "+firstHost(t, subnet)+"/") {
		t.Errorf("after all: a new container has %q, want the first host address %s", got, firstHost(t, subnet))
	}
	if out, err := exec.Command("ip", "-o", "link", "show", "type", "veth").Output(); err == nil {
		for _, id := range e.containerIDs() {
			if strings.Contains(string(out), "mdv"+id[:11]) {
				t.Errorf("veth of %s left", id[:12])
			}
		}
	}
}

// A --rm container's exit leaves its veth to the kernel, which removes it
// with the container's network namespace: while something still holds
// that namespace (here a container joined to it), the veth stays, and so
// does the address, taken: a new container gets another, and the joined
// one keeps its network. Once the namespace goes, so do the veth and the
// hold on the address.
func TestNetworkDepartedAddressKept(t *testing.T) {
	e := newEnv(t)
	name, subnet := e.createNetwork(24)
	gw := gatewayOf(t, subnet)
	a := e.ok("run", "-d", "--rm", "--network", name, "busybox", "sleep", "1000")
	ip := e.ip(a)
	e.ok("run", "-d", "--name", "j", "--network", "container:"+a, "busybox", "sleep", "1000")
	e.ok("stop", "-t", "0", a)
	waitFor(t, "the --rm container to be removed", func() bool {
		return !strings.Contains(e.ok("ps", "-a", "-q", "--no-trunc"), a)
	})
	veth := "mdv" + a[:11]
	if !linkExists(veth) {
		t.Fatalf("veth %s gone while a joined container holds its namespace", veth)
	}
	if got := e.ok("exec", "j", "sh", "-c", "ping -c 1 -W 10 "+gw+" >/dev/null && echo reached"); got != "reached" {
		t.Errorf("the joined container lost its network: %q", got)
	}
	got := e.ok("run", "--rm", "--network", name, "busybox", "ip", "-4", "-o", "addr", "show", "eth0")
	if strings.Contains(got, " "+ip+"/") {
		t.Fatalf("a new container got %s, the address of the departed one's veth, still there: %q", ip, got)
	}
	r := e.run(125, "run", "--rm", "--network", name, "--ip", ip, "busybox", "true")
	if !strings.Contains(r.stderr, "still in use") {
		t.Errorf("--ip %s of the departing veth: %q", ip, r.stderr)
	}
	e.ok("rm", "-f", "j")
	if vethLeft(veth) {
		t.Fatalf("veth %s left after the namespace's last holder went", veth)
	}
	got = e.ok("run", "--rm", "--network", name, "busybox", "ip", "-4", "-o", "addr", "show", "eth0")
	if !strings.Contains(got, " "+ip+"/") {
		t.Errorf("once the veth went, a new container has %q, want the freed %s", got, ip)
	}
	// network rm does not count a departed container as a holder, and
	// takes its veth away before the bridge, held namespace or not.
	a = e.ok("run", "-d", "--rm", "--network", name, "busybox", "sleep", "1000")
	e.ok("run", "-d", "--name", "j2", "--network", "container:"+a, "busybox", "sleep", "1000")
	e.ok("stop", "-t", "0", a)
	waitFor(t, "the --rm container to be removed", func() bool {
		return !strings.Contains(e.ok("ps", "-a", "-q", "--no-trunc"), a)
	})
	e.ok("network", "rm", name)
	if linkExists("mdv" + a[:11]) {
		t.Errorf("veth of a departed container left by network rm")
	}
	e.ok("rm", "-f", "j2")
}

// A container whose network namespace someone outside still holds keeps
// its veth after its last process died: the kernel never removes it, so
// rm must (and not wait for ever). The address is then free, and a new
// container gets it with a working network.
func TestNetworkHeldNamespaceVethRemoved(t *testing.T) {
	e := newEnv(t)
	name, subnet := e.createNetwork(24)
	gw := gatewayOf(t, subnet)
	id := e.ok("run", "-d", "--network", name, "busybox", "sleep", "1000")
	pid := e.pid(id)
	ns, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	veth := "mdv" + id[:11]
	if !linkExists(veth) {
		t.Fatalf("veth %s of a running container missing", veth)
	}
	ip := e.ip(id)
	e.ok("rm", "-f", id)
	if linkExists(veth) {
		t.Fatalf("veth %s left by rm -f while its namespace is held", veth)
	}
	// Its address is free: the next container takes the lowest free
	// address, the same one.
	r := e.ok("run", "--rm", "--network", name, "busybox", "sh", "-c",
		"ip -4 -o addr show eth0; ping -c 1 -W 10 "+gw+" >/dev/null && echo reached")
	if !strings.Contains(r, " "+ip+"/") || !strings.HasSuffix(r, "reached") {
		t.Fatalf("new container: want %s and the gateway reached, got %q", ip, r)
	}
}

// pid is a running container's first process, from its record.
func (e *env) pid(id string) int {
	e.t.Helper()
	state, _ := e.record(id)["State"].(map[string]any)
	pid, _ := state["Pid"].(float64)
	if pid <= 0 {
		e.t.Fatalf("container %s has no pid: %v", id, state)
	}
	return int(pid)
}

// slowIptables puts an iptables first in the PATH of this env's mydocker
// that stops at its call number k (counted across processes) until the
// file returned is created, then runs the real one. The test kills
// mydocker there, while an iptables it started is still to come.
func (e *env) slowIptables(dir string, k int) (release string) {
	e.t.Helper()
	real, err := exec.LookPath("iptables")
	if err != nil {
		e.t.Fatal(err)
	}
	release = filepath.Join(dir, "release")
	script := fmt.Sprintf(`#!/bin/sh
n=1
while ! mkdir %[1]s/call.$n 2>/dev/null; do n=$((n+1)); done
if [ $n -eq %[2]d ]; then
	touch %[1]s/stopped
	while [ ! -e %[3]s ]; do sleep 0.01; done
fi
exec %[4]s "$@"
`, dir, k, release, real)
	if err := os.WriteFile(filepath.Join(dir, "iptables"), []byte(script), 0o755); err != nil {
		e.t.Fatal(err)
	}
	// A test that stops early lets a stopped iptables go on rather than
	// wait for ever.
	e.t.Cleanup(func() { os.WriteFile(release, nil, 0o644) })
	return release
}

// processesRunning lists the processes whose command line mentions s.
func processesRunning(s string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, en := range entries {
		pid, err := strconv.Atoi(en.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", en.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmd), s) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// rulesNaming lists the iptables rules (nat and filter) that mention s.
func rulesNaming(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	for _, table := range []string{"nat", "filter"} {
		b, err := exec.Command("iptables-save", "-t", table).Output()
		if err != nil {
			t.Fatalf("iptables-save -t %s: %v", table, err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, s) {
				out = append(out, l)
			}
		}
	}
	return out
}

// killRunAtIptables starts a run --rm on the default network with the
// slow iptables of dir stopping at call k, and kills it there.
func (e *env) killRunAtIptables(dir string, k int) (release string) {
	e.t.Helper()
	release = e.slowIptables(dir, k)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := e.cmd(ctx, "run", "--rm", "busybox", "true")
	c.Env = append(c.Env, "PATH="+dir+":"+os.Getenv("PATH"))
	if err := c.Start(); err != nil {
		e.t.Fatal(err)
	}
	waitFor(e.t, fmt.Sprintf("iptables call %d of the default network", k), func() bool {
		_, err := os.Stat(filepath.Join(dir, "stopped"))
		return err == nil
	})
	if err := c.Process.Signal(syscall.SIGKILL); err != nil {
		e.t.Fatal(err)
	}
	c.Wait()
	return release
}

// A run killed with SIGKILL while it creates the implicit default network,
// at each of the network's iptables calls, leaves nothing that outlives
// the next command: network rm (as the test root's cleanup runs it) rolls
// the half-made network back, bridge and rules, and an iptables the
// killed run had started dies with it instead of adding its rule after
// the rollback. The next run then makes the network whole, with each
// rule once.
func TestKillRunDuringDefaultNetworkCreation(t *testing.T) {
	e := newEnv(t)
	// The image is unpacked first, so every kill below lands in the
	// network's creation.
	e.ok("run", "--rm", "--network", "none", "busybox", "true")
	e.ok("run", "--rm", "busybox", "true")
	bridge := e.bridgeName("bridge")
	want := len(rulesNaming(t, bridge))
	if want == 0 {
		t.Fatalf("default network %s has no rules", bridge)
	}
	e.ok("network", "rm", "bridge")
	for k := 1; k <= want; k++ {
		dir := t.TempDir()
		release := e.killRunAtIptables(dir, k)
		if !linkExists(bridge) {
			t.Fatalf("kill at iptables call %d: bridge %s not made yet", k, bridge)
		}
		// The next command rolls the half-made network back.
		e.ok("network", "rm", "bridge")
		// What the killed run started may go on now; it must not.
		if err := os.WriteFile(release, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the stopped iptables to end", func() bool { return len(processesRunning(dir)) == 0 })
		if linkExists(bridge) {
			t.Errorf("kill at iptables call %d: bridge %s left after network rm", k, bridge)
		}
		if left := rulesNaming(t, bridge); len(left) > 0 {
			t.Errorf("kill at iptables call %d: rules left after network rm: %v", k, left)
		}
		if t.Failed() {
			return
		}
	}
	// Killed once more, then the next run makes the network whole.
	dir := t.TempDir()
	release := e.killRunAtIptables(dir, 2)
	e.ok("run", "--rm", "busybox", "true")
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stopped iptables to end", func() bool { return len(processesRunning(dir)) == 0 })
	if got := rulesNaming(t, bridge); len(got) != want {
		t.Errorf("default network remade after a killed create has %d rules, want %d: %v", len(got), want, got)
	}
}

// A veth left under a container's name (by a mydocker killed mid-way)
// does not keep the container from starting: it is replaced.
func TestNetworkLeftoverVethReplaced(t *testing.T) {
	e := newEnv(t)
	name, subnet := e.createNetwork(24)
	gw := gatewayOf(t, subnet)
	id := e.ok("run", "-d", "--network", name, "busybox", "sleep", "1000")
	e.ok("stop", "-t", "0", id)
	veth := "mdv" + id[:11]
	if out, err := exec.Command("ip", "link", "add", veth, "type", "veth", "peer", "name", "lo"+id[:11]).CombinedOutput(); err != nil {
		t.Fatalf("ip link add %s: %v: %s", veth, err, out)
	}
	defer exec.Command("ip", "link", "del", veth).Run()
	e.ok("start", id)
	out, err := exec.Command("ip", "-d", "link", "show", veth).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "master "+e.bridgeName(name)) || linkExists("lo"+id[:11]) {
		t.Fatalf("%s after start is not the container's: %v: %s", veth, err, out)
	}
	if r := e.ok("exec", id, "sh", "-c", "ping -c 1 -W 10 "+gw+" >/dev/null && echo reached"); r != "reached" {
		t.Fatalf("gateway not reached after start: %q", r)
	}
}
