package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Networking as Docker's: the default bridge network, --network none and
// host, names on user networks, --add-host, --dns*, --ip, -p forms, -P
// and the port command. Every client resolves with --dns 127.0.0.1 (its
// own loopback, where nothing listens): a name the network does not know
// fails at once instead of reaching a resolver outside this test.

// idServer is a container command answering every connection on port 8080
// with who (nc -ll: a persistent server), so a client knows which
// container it reached.
func idServer(who string) []string {
	return []string{"sh", "-c", fmt.Sprintf(`printf '#!/bin/sh\necho %s\n' > /tmp/id.sh && chmod +x /tmp/id.sh && exec nc -ll -p 8080 -e /tmp/id.sh`, who)}
}

// reachScript connects to target:8080 until it answers (the server may
// still be starting), printing the answer; it fails after 50 tries, or at
// once when target does not resolve ("bad address").
func reachScript(target string) string {
	return fmt.Sprintf(`for i in $(seq 50); do
  out=$(nc -w 2 %[1]s 8080 </dev/null 2>/tmp/err) && [ -n "$out" ] && { echo "$out"; exit 0; }
  grep -q "bad address" /tmp/err && { cat /tmp/err >&2; exit 3; }
  sleep 0.1
done
cat /tmp/err >&2; exit 1`, target)
}

// probeScript tries target:8080 once and exits 3 if target does not
// resolve, else 0: a name that must not resolve fails at once, and one
// that wrongly does never waits out a retry loop.
func probeScript(target string) string {
	return fmt.Sprintf(`nc -w 1 %s 8080 </dev/null 2>/tmp/err >/dev/null
grep -q "bad address" /tmp/err && { cat /tmp/err >&2; exit 3; }
echo "resolved"; exit 0`, target)
}

// reach runs a throwaway client container (extra: its network flags) that
// connects to target:8080 and returns its answer, stderr and exit code.
func (e *env) reach(target string, extra ...string) result {
	e.t.Helper()
	return e.client(reachScript(target), extra...)
}

// probe is reach with probeScript, for names that must not resolve.
func (e *env) probe(target string, extra ...string) result {
	e.t.Helper()
	return e.client(probeScript(target), extra...)
}

func (e *env) client(script string, extra ...string) result {
	e.t.Helper()
	args := append(append([]string{"run", "--rm", "--dns", "127.0.0.1"}, extra...), "busybox", "sh", "-c", script)
	r, err := e.exec(nil, args...)
	if err != nil {
		e.t.Fatalf("client %q: %v", args, err)
	}
	r.stdout = strings.TrimSpace(r.stdout)
	return r
}

// reachFrom is reach from inside a running container (exec).
func (e *env) reachFrom(client, target string) result {
	e.t.Helper()
	return e.execScript(client, reachScript(target))
}

// probeFrom is probe from inside a running container (exec).
func (e *env) probeFrom(client, target string) result {
	e.t.Helper()
	return e.execScript(client, probeScript(target))
}

func (e *env) execScript(client, script string) result {
	e.t.Helper()
	r, err := e.exec(nil, "exec", client, "sh", "-c", script)
	if err != nil {
		e.t.Fatalf("exec in %s: %v", client, err)
	}
	r.stdout = strings.TrimSpace(r.stdout)
	return r
}

func (e *env) mustReach(r result, want string) {
	e.t.Helper()
	if r.code != 0 || r.stdout != want {
		e.t.Fatalf("want answer %q, got %q (exit %d, stderr %q)", want, r.stdout, r.code, r.stderr)
	}
}

func (e *env) mustNotResolve(r result, name string) {
	e.t.Helper()
	if r.code != 3 || !strings.Contains(r.stderr, "bad address '"+name+"'") {
		e.t.Fatalf("%s still resolves: answer %q, exit %d, stderr %q", name, r.stdout, r.code, r.stderr)
	}
}

// networkClean checks network name holds nothing of a container: no veth
// on its bridge, no address in its pool, no member, no DNAT to its subnet.
func (e *env) networkClean(name, subnet string) {
	e.t.Helper()
	bridge := e.networkField(name, "BRIDGE")
	// The veths of --rm containers go with their namespaces, once run
	// has returned: give the kernel a few seconds.
	var out []byte
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		out, err = exec.Command("ip", "-o", "link", "show", "master", bridge).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) == "" || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || strings.TrimSpace(string(out)) != "" {
		e.t.Errorf("links left on %s: %s %v", bridge, out, err)
	}
	var pool struct{ Allocated map[string]string }
	data, err := os.ReadFile(filepath.Join(e.root, "network", "ipam", name+".json"))
	if err != nil || json.Unmarshal(data, &pool) != nil || len(pool.Allocated) > 0 {
		e.t.Errorf("addresses held in %s: %s %v", name, data, err)
	}
	// Addresses are held in slots beside the pool (network/addrs.go):
	// a free one is all zeros, or marks a departed container ("~" and
	// its ID) whose veth is gone, which the next allocation takes.
	if slots, err := os.ReadFile(filepath.Join(e.root, "network", "ipam", name+".slots")); err == nil {
		for i := 0; i+64 <= len(slots); i += 64 {
			slot := strings.TrimRight(string(slots[i:i+64]), "\x00")
			if slot != "" && !(slot[0] == '~' && len(slot) > 12 && !linkExists("mdv"+slot[1:12])) {
				e.t.Errorf("address %d held in %s: %q", i/64, name, slot)
			}
		}
	}
	if data, err := os.ReadFile(filepath.Join(e.root, "network", "members", name+".json")); err == nil && strings.TrimSpace(string(data)) != "{}" {
		e.t.Errorf("members left in %s: %s", name, data)
	}
	prefix := subnet[:strings.LastIndex(subnet, ".")+1]
	if rules := iptablesRules(e.t, "--to-destination "+prefix); len(rules) > 0 {
		e.t.Errorf("port rules to %s left: %q", subnet, rules)
	}
}

func (e *env) hasDefaultNetwork() bool {
	e.t.Helper()
	for _, l := range strings.Split(e.ok("network", "ls"), "\n") {
		if strings.HasPrefix(l, "bridge ") {
			return true
		}
	}
	return false
}

// A container with no network flag joins the default bridge network,
// created on first use: an address, a default route, and other containers
// on it reachable by address but not by name (as Docker's default bridge).
func TestDefaultNetworkIsBridge(t *testing.T) {
	e := newEnv(t)
	out := e.ok("run", "--rm", "busybox", "sh", "-c", "ip -4 addr show eth0 | grep -c inet; ip route | grep -c default")
	if out != "1\n1" {
		t.Fatalf("a container with no network flag: %q", out)
	}
	subnet := e.networkField("bridge", "SUBNET")
	e.ok(append([]string{"run", "-d", "--name", "srv", "busybox"}, idServer("srv")...)...)
	if ns := e.inspect("srv")["HostConfig"].(map[string]any)["NetworkMode"]; ns != "bridge" {
		t.Fatalf("HostConfig.NetworkMode %v, want bridge", ns)
	}
	ip := e.ip("srv")
	if ip == "" {
		t.Fatal("no address on the default network")
	}
	e.mustReach(e.reach(ip), "srv")
	e.mustNotResolve(e.probe("srv"), "srv")
	e.ok("rm", "-f", "srv")
	e.networkClean("bridge", subnet)
}

// Each state root gets a default network of its own on a subnet nothing
// else on the host uses, even when several are created at once.
func TestDefaultNetworksOfParallelRoots(t *testing.T) {
	envs := []*env{newEnv(t), newEnv(t), newEnv(t)}
	errs := make(chan error, len(envs))
	for _, e := range envs {
		go func(e *env) {
			r, err := e.exec(nil, "run", "--rm", "busybox", "true")
			if err == nil && r.code != 0 {
				err = fmt.Errorf("exit %d: %s", r.code, r.stderr)
			}
			errs <- err
		}(e)
	}
	for range envs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, e := range envs {
		s := e.networkField("bridge", "SUBNET")
		if seen[s] {
			t.Fatalf("two roots' default networks share %s", s)
		}
		seen[s] = true
	}
}

// --network none: only lo, no address, nothing on any bridge.
func TestNetworkNone(t *testing.T) {
	e := newEnv(t)
	if out := e.ok("run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net"); out != "lo" {
		t.Fatalf("interfaces: %q", out)
	}
	id := e.ok("run", "-d", "--network", "none", "busybox", "sleep", "1000")
	if e.ip(id) != "" || linkExists("mdv"+id[:11]) {
		t.Fatal("a --network none container has an address or a veth")
	}
	if e.hasDefaultNetwork() {
		t.Fatal("--network none created the default network")
	}
}

// --network host: the host's interfaces, hostname, /etc/hosts and
// resolv.conf (as copies: writing them changes nothing on the host), no
// veth; published ports are discarded with a warning, as in Docker.
func TestNetworkHost(t *testing.T) {
	e := newEnv(t)
	hostHosts, err := os.ReadFile("/etc/hosts")
	if err != nil {
		t.Fatal(err)
	}
	hostResolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		t.Fatal(err)
	}
	hostName, _ := os.Hostname()
	r := e.run(0, "run", "-d", "--name", "h", "--network", "host", "-p", "18080:80", "busybox", "sleep", "1000")
	id := strings.TrimSpace(r.stdout)
	if !strings.Contains(r.stderr, "Published ports are discarded") {
		t.Errorf("no warning for -p with --network host: %q", r.stderr)
	}
	hostNS, _ := os.Readlink("/proc/self/ns/net")
	ctrNS, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", e.containerPid("h")))
	if hostNS == "" || ctrNS != hostNS {
		t.Fatalf("container network namespace %q, host's %q", ctrNS, hostNS)
	}
	if got := e.ok("exec", "h", "hostname"); got != hostName {
		t.Errorf("hostname %q, want the host's %q", got, hostName)
	}
	if got := e.ok("exec", "h", "cat", "/etc/hosts"); got != strings.TrimSpace(string(hostHosts)) {
		t.Errorf("/etc/hosts %q, want the host's %q", got, hostHosts)
	}
	if got := e.ok("exec", "h", "cat", "/etc/resolv.conf"); !strings.Contains(got, strings.TrimSpace(strings.Split(strings.TrimSpace(grepLines(string(hostResolv), "nameserver")), "\n")[0])) {
		t.Errorf("resolv.conf %q lacks the host's nameserver", got)
	}
	e.ok("exec", "h", "sh", "-c", "echo 10.9.9.9 evil >> /etc/hosts")
	if now, _ := os.ReadFile("/etc/hosts"); string(now) != string(hostHosts) {
		t.Fatal("the container wrote the host's /etc/hosts")
	}
	if linkExists("mdv"+id[:11]) || len(iptablesRules(t, "mydocker:"+id)) > 0 {
		t.Fatal("a --network host container has a veth or port rules")
	}
	if out := e.ok("port", "h"); out != "" {
		t.Errorf("port of a --network host container: %q", out)
	}
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// On a user network containers reach each other by name and by
// --network-alias, whichever started first; a name stops resolving once
// its container stops or is removed, and comes back when it starts; no
// name crosses to another network, and the names are kept nowhere else.
func TestNameResolutionOnUserNetwork(t *testing.T) {
	e := newEnv(t)
	netA, subnetA := e.createNetwork(24)
	netB, subnetB := e.createNetwork(24)
	e.ok(append([]string{"run", "-d", "--name", "srv", "--network", netA, "--network-alias", "web", "--net-alias", "db.internal", "busybox"}, idServer("srv")...)...)
	// A client started after the server, by name, alias, short ID.
	e.mustReach(e.reach("srv", "--network", netA), "srv")
	e.mustReach(e.reach("web", "--network", netA), "srv")
	e.mustReach(e.reach("db.internal", "--network", netA), "srv")
	e.mustReach(e.reach(e.inspect("srv")["Id"].(string)[:12], "--network", netA), "srv")
	// A client started before the second server finds it too.
	e.ok("run", "-d", "--name", "client", "--dns", "127.0.0.1", "--network", netA, "busybox", "sleep", "1000")
	e.mustNotResolve(e.probeFrom("client", "late"), "late")
	e.ok(append([]string{"run", "-d", "--name", "late", "--network", netA, "busybox"}, idServer("late")...)...)
	e.mustReach(e.reachFrom("client", "late"), "late")
	e.mustReach(e.reachFrom("late", "srv"), "srv")
	// Not across networks, aliases neither.
	e.ok(append([]string{"run", "-d", "--name", "other", "--network", netB, "busybox"}, idServer("other")...)...)
	for _, name := range []string{"srv", "web", "late"} {
		e.mustNotResolve(e.probe(name, "--network", netB), name)
	}
	e.mustNotResolve(e.probeFrom("client", "other"), "other")
	// Nor on the default bridge.
	e.mustNotResolve(e.probe("srv"), "srv")
	// Stopped: gone; started again: back.
	e.ok("stop", "-t", "1", "late")
	e.mustNotResolve(e.probeFrom("client", "late"), "late")
	e.ok("start", "late")
	e.mustReach(e.reachFrom("client", "late"), "late")
	// Removed: gone, by name and alias.
	e.ok("rm", "-f", "srv")
	e.mustNotResolve(e.probeFrom("client", "srv"), "srv")
	e.mustNotResolve(e.probeFrom("client", "web"), "web")
	e.mustNotResolve(e.probe("srv", "--network", netA), "srv")
	e.ok("rm", "-f", "client", "late", "other")
	e.networkClean(netA, subnetA)
	e.networkClean(netB, subnetB)
}

// --add-host (host-gateway: the network's gateway), --dns, --dns-search
// and --dns-option in the container's files.
func TestAddHostAndDNSOptions(t *testing.T) {
	e := newEnv(t)
	netName, _ := e.createNetwork(24)
	gw := e.networkField(netName, "GATEWAY")
	out := e.ok("run", "--rm", "--network", netName,
		"--add-host", "db.test:10.1.2.3", "--add-host", "v6=::1", "--add-host", "host.docker.internal:host-gateway",
		"--dns", "127.0.0.1", "--dns", "10.255.0.9", "--dns-search", "a.test", "--dns-search", "b.test", "--dns-option", "ndots:3",
		"busybox", "sh", "-c", "cat /etc/hosts; echo ---; cat /etc/resolv.conf")
	hosts, resolv, _ := strings.Cut(out, "---\n")
	for _, want := range []string{"10.1.2.3\tdb.test\n", "::1\tv6\n", gw + "\thost.docker.internal\n"} {
		if !strings.Contains(hosts, want) {
			t.Errorf("/etc/hosts %q lacks %q", hosts, want)
		}
	}
	if want := "nameserver 127.0.0.1\nnameserver 10.255.0.9\nsearch a.test b.test\noptions ndots:3"; !strings.HasPrefix(resolv, want) {
		t.Errorf("resolv.conf %q, want it to start %q", resolv, want)
	}
	// Without the flags: the host's nameservers, loopback ones dropped.
	resolv = e.ok("run", "--rm", "busybox", "cat", "/etc/resolv.conf")
	if strings.Contains(resolv, "nameserver 127.") || !strings.Contains(resolv, "nameserver ") {
		t.Errorf("default resolv.conf %q", resolv)
	}
}

// --ip gives a fixed address in a user network's subnet; one taken,
// outside the subnet, the gateway, or on the default network is refused
// with nothing left behind.
func TestFixedIP(t *testing.T) {
	e := newEnv(t)
	netName, subnet := e.createNetwork(24)
	prefix := subnet[:strings.LastIndex(subnet, ".")+1]
	fixed := prefix + "77"
	e.ok("run", "-d", "--name", "fixed", "--network", netName, "--ip", fixed, "busybox", "sleep", "1000")
	if got := e.ip("fixed"); got != fixed {
		t.Fatalf("address %q, want %s", got, fixed)
	}
	if out := e.ok("exec", "fixed", "ip", "-4", "-o", "addr", "show", "eth0"); !strings.Contains(out, fixed+"/24") {
		t.Fatalf("eth0: %q", out)
	}
	// Restarted, it keeps its address.
	e.ok("stop", "-t", "1", "fixed")
	e.ok("start", "fixed")
	if got := e.ip("fixed"); got != fixed {
		t.Fatalf("after restart: %q, want %s", got, fixed)
	}
	r := e.run(125, "--log-level", "info", "run", "-d", "--name", "dup", "--network", netName, "--ip", fixed, "busybox", "sleep", "1000")
	if !strings.Contains(r.stderr, "already in use") || strings.Count(r.stderr, "mydocker:") != 1 {
		t.Errorf("taken address: %q", r.stderr)
	}
	if strings.Contains(e.ok("ps", "-a"), "dup") {
		t.Fatal("record of the refused container left")
	}
	m := createdRE.FindStringSubmatch(r.stderr)
	if m == nil || linkExists("mdv"+m[1][:11]) || len(iptablesRules(t, "mydocker:"+m[1])) > 0 {
		t.Errorf("veth or rules of the refused container left (%v)", m)
	}
	e.ok("rm", "-f", "fixed")
	e.networkClean(netName, subnet)
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"--network", netName, "--ip", "10.0.0.300"}, "invalid --ip"},
		{[]string{"--network", netName, "--ip", "::1"}, "invalid --ip"},
		{[]string{"--network", netName, "--ip", "192.0.2.200"}, "not a free host address"},
		{[]string{"--network", netName, "--ip", prefix + "1"}, "not a free host address"},
		{[]string{"--network", netName, "--ip", prefix + "255"}, "not a host address"},
		{[]string{"--ip", prefix + "9"}, "only on a network you created"},
		{[]string{"--network", "none", "--ip", prefix + "9"}, "only on a network you created"},
	}
	for _, c := range cases {
		r := e.run(125, append(append([]string{"run", "-d"}, c.args...), "busybox", "sleep", "1")...)
		if !strings.Contains(r.stderr, c.msg) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: stderr %q, want one line with %q", c.args, r.stderr, c.msg)
		}
	}
	e.assertNothingLeft()
	e.networkClean(netName, subnet)
}

var portLineRE = regexp.MustCompile(`^(\d+)/(tcp|udp) -> ([0-9.]+):(\d+)$`)

// -p CONTAINER and -p IP::CONTAINER get free host ports, ranges map one to
// one, -P publishes the image's EXPOSEd ports; port prints them as
// Docker does and every published port reaches the container.
func TestPublishFormsAndPortCommand(t *testing.T) {
	e := newEnv(t)
	// An image exposing 8080 and 9090/udp.
	e.ok("run", "--name", "base", "busybox", "true")
	e.ok("commit", "-c", "EXPOSE 8080", "-c", "EXPOSE 9090/udp", "base", "exposing")
	e.ok("rm", "base")
	rangeLo := 20000 + 2*int(os.Getpid()%5000)
	e.ok("run", "-d", "--name", "p", "-P",
		"-p", "8081", "-p", "127.0.0.1::8082",
		"-p", fmt.Sprintf("%d-%d:8090-8091", rangeLo, rangeLo+1),
		"exposing", "sh", "-c", `for p in 8080 8081 8082 8090 8091; do (printf '#!/bin/sh\necho '$p'\n' > /tmp/$p.sh; chmod +x /tmp/$p.sh; nc -ll -p $p -e /tmp/$p.sh) & done; wait`)
	lines := strings.Split(e.ok("port", "p"), "\n")
	got := map[string]string{}
	for _, l := range lines {
		m := portLineRE.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("port line %q not in Docker's form", l)
		}
		got[m[1]+"/"+m[2]] = m[3] + ":" + m[4]
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if want := "8080/tcp 8081/tcp 8082/tcp 8090/tcp 8091/tcp 9090/udp"; strings.Join(keys, " ") != want {
		t.Fatalf("published %v, want %s", keys, want)
	}
	for k, v := range map[string]string{"8090/tcp": fmt.Sprintf("0.0.0.0:%d", rangeLo), "8091/tcp": fmt.Sprintf("0.0.0.0:%d", rangeLo+1)} {
		if got[k] != v {
			t.Errorf("%s -> %s, want %s", k, got[k], v)
		}
	}
	for _, k := range []string{"8080/tcp", "8081/tcp", "9090/udp"} {
		host, port, _ := strings.Cut(got[k], ":")
		if n, _ := strconv.Atoi(port); host != "0.0.0.0" || n < 1024 {
			t.Errorf("%s -> %s: want a free port on every address", k, got[k])
		}
	}
	if !strings.HasPrefix(got["8082/tcp"], "127.0.0.1:") {
		t.Errorf("8082/tcp -> %s, want 127.0.0.1", got["8082/tcp"])
	}
	if out := e.ok("port", "p", "8082"); out != got["8082/tcp"] {
		t.Errorf("port p 8082: %q", out)
	}
	if out := e.ok("port", "p", "9090/udp"); out != got["9090/udp"] {
		t.Errorf("port p 9090/udp: %q", out)
	}
	// Every TCP mapping reaches its container port, from the host's loopback.
	for _, k := range []string{"8080/tcp", "8081/tcp", "8082/tcp", "8090/tcp", "8091/tcp"} {
		_, port, _ := strings.Cut(got[k], ":")
		want := strings.TrimSuffix(k, "/tcp")
		var answer string
		for i := 0; i < 50 && answer != want; i++ {
			out, _ := exec.Command("busybox", "nc", "-w", "2", "127.0.0.1", port).Output()
			answer = strings.TrimSpace(string(out))
		}
		if answer != want {
			t.Errorf("127.0.0.1:%s (%s) answered %q", port, k, answer)
		}
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"port", "p", "7777"}, "no public port '7777/tcp'"},
		{[]string{"port", "p", "80/sctp"}, "invalid port"},
		{[]string{"port", "p", "0"}, "invalid port"},
		{[]string{"port", "nosuch"}, "nosuch"},
		{[]string{"port"}, "requires CONTAINER"},
		{[]string{"port", "p", "80", "81"}, "requires CONTAINER"},
	} {
		code := 125
		if c.msg == "nosuch" {
			code = 1 // no such container, as Docker's CLI
		}
		r := e.run(code, c.args...)
		if !strings.Contains(r.stderr, c.msg) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: stderr %q, want one line with %q", c.args, r.stderr, c.msg)
		}
	}
	e.ok("stop", "-t", "1", "p")
	if out := e.ok("port", "p"); out != "" {
		t.Errorf("port of a stopped container: %q", out)
	}
}

// Bad network flags exit 125 with one line, before anything is made.
func TestNetworkFlagErrors(t *testing.T) {
	e := newEnv(t)
	netName, subnet := e.createNetwork(24)
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"--network", "none", "-p", "8080:80"}, "conflicting options"},
		{[]string{"--network", "none", "-P"}, "conflicting options"},
		{[]string{"-p", "1-2:3"}, "same length"},
		{[]string{"-p", "127.0.0.1:80"}, "not a number"},
		{[]string{"-p", "1-500"}, "at most"},
		{[]string{"--network-alias", "web"}, "only on a network you created"},
		{[]string{"--network", netName, "--network-alias", "bad alias"}, "invalid --network-alias"},
		{[]string{"--network", netName, "--network-alias", "-x"}, "invalid --network-alias"},
		{[]string{"--add-host", "nocolon"}, "invalid --add-host"},
		{[]string{"--add-host", "a:not-an-ip"}, "invalid --add-host"},
		{[]string{"--network", "none", "--add-host", "a:host-gateway"}, "no host gateway"},
		{[]string{"--dns", "dns.example"}, "invalid --dns"},
		{[]string{"--dns-search", "a b"}, "invalid --dns-search"},
		{[]string{"--dns-option", "x y"}, "invalid --dns-option"},
		{[]string{"--network", "nosuchnet"}, "no such network"},
	}
	for _, c := range cases {
		r := e.run(125, append(append([]string{"run", "--rm"}, c.args...), "busybox", "true")...)
		if !strings.Contains(r.stderr, c.msg) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: stderr %q, want one line with %q", c.args, r.stderr, c.msg)
		}
		if e.hasDefaultNetwork() {
			t.Fatalf("%v: the refused run created the default network", c.args)
		}
	}
	for _, name := range []string{"none", "host"} {
		r := e.run(125, "network", "create", "--subnet", "10.254.254.0/24", name)
		if !strings.Contains(r.stderr, "reserved") {
			t.Errorf("network create %s: %q", name, r.stderr)
		}
	}
	e.assertNothingLeft()
	e.networkClean(netName, subnet)
}

// The default network's NAT: a container with no network flag reaches a
// host beyond its bridge. The "outside" host is a network namespace of
// this test with no route back to the container's subnet, so only a
// masqueraded connection can be answered.
func TestDefaultNetworkNATsOutbound(t *testing.T) {
	e := newEnv(t)
	tag := fmt.Sprintf("%06x", os.Getpid()&0xffffff)
	ns, hostEnd, nsEnd := "mdn"+tag, "mdnh"+tag, "mdnn"+tag
	third := os.Getpid() % 256
	hostIP, outsideIP := fmt.Sprintf("10.198.%d.1", third), fmt.Sprintf("10.198.%d.2", third)
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
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "id.sh"), []byte("#!/bin/sh\necho outside\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	listener := exec.Command("ip", "netns", "exec", ns, "busybox", "nc", "-ll", "-p", "8080", "-e", filepath.Join(dir, "id.sh"))
	if err := listener.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		listener.Process.Kill()
		listener.Wait()
	}()
	e.mustReach(e.reach(outsideIP), "outside")
}
