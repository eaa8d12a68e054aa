package tests

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
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

// poolHolders lists the containers holding an address in network name.
func (e *env) poolHolders(name string) []string {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.root, "network", "ipam", name+".json"))
	if err != nil {
		e.t.Fatal(err)
	}
	var p struct{ Allocated map[string]string }
	if err := json.Unmarshal(data, &p); err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for ip, id := range p.Allocated {
		out = append(out, ip+"="+id)
	}
	return out
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
// checks that when it has returned its veth is gone. It returns an error
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
	if veth := "mdv" + f[0][:11]; linkExists(veth) {
		return fmt.Errorf("veth %s still there after run --rm returned", veth)
	}
	return nil
}

// Short containers one after another and side by side each get a working
// network, and none leaves an interface or an address: when run --rm
// returns, the kernel has removed its veth (or mydocker has), so the
// next container never meets a dying interface with its address.
func TestNetworkShortContainersInARowAndInParallel(t *testing.T) {
	e := newEnv(t)
	name, subnet := e.createNetwork(24)
	gw := gatewayOf(t, subnet)
	bridge := e.bridgeName(name)
	for i := 0; i < 8; i++ {
		if err := e.shortRun(name, gw); err != nil {
			t.Fatalf("run %d in a row: %v", i, err)
		}
		// Its address is free again, and nothing is left on the bridge.
		if held := e.poolHolders(name); len(held) > 0 {
			t.Fatalf("after run %d in a row: addresses still held: %v", i, held)
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
	if held := e.poolHolders(name); len(held) > 0 {
		t.Errorf("addresses still held: %v", held)
	}
	if ports := portsOn(t, bridge); len(ports) > 0 {
		t.Errorf("interfaces left on %s: %v", bridge, ports)
	}
	if out, err := exec.Command("ip", "-o", "link", "show", "type", "veth").Output(); err == nil {
		for _, id := range e.containerIDs() {
			if strings.Contains(string(out), "mdv"+id[:11]) {
				t.Errorf("veth of %s left", id[:12])
			}
		}
	}
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
	if held := e.poolHolders(name); len(held) > 0 {
		t.Fatalf("addresses still held: %v", held)
	}
	// The next container takes the lowest free address, the same one.
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
