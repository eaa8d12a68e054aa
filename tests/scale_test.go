package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Costs that stay flat with many containers (issue 18): these tests
// check behaviour at scale; the timings are bench's.

// parallel runs f(0..n-1) on k workers at once and fails the test on
// the first error.
func parallel(t *testing.T, n, k int, f func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	next := make(chan int)
	for w := 0; w < k; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = f(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
	}
}

// ps with 100 containers, 50 running and 50 exited (one of them killed
// behind mydocker's back), lists each once with its state, exit code
// and name, and its filters pick the right ones.
func TestScalePsHundredContainers(t *testing.T) {
	e := newEnv(t)
	const half = 50
	running := make([]string, half)
	exited := make([]string, half)
	parallel(t, 2*half, 4, func(i int) error {
		var args []string
		if i < half {
			args = []string{"run", "-d", "--network", "none", "--name", fmt.Sprintf("up%02d", i), "busybox", "sleep", "1000"}
		} else {
			args = []string{"run", "-d", "--network", "none", "--name", fmt.Sprintf("ex%02d", i-half), "busybox", "sh", "-c", fmt.Sprintf("exit %d", (i-half)%4)}
		}
		r, err := e.exec(nil, args...)
		if err == nil && r.code != 0 {
			err = fmt.Errorf("%q: exit %d: %s", args, r.code, r.stderr)
		}
		if err != nil {
			return err
		}
		if i < half {
			running[i] = strings.TrimSpace(r.stdout)
		} else {
			exited[i-half] = strings.TrimSpace(r.stdout)
		}
		return nil
	})
	for _, id := range exited {
		e.ok("wait", id)
	}
	// The last running one dies without its monitor recording it: ps
	// must find out itself.
	victim := running[half-1]
	rec := e.record(victim)
	state := rec["State"].(map[string]any)
	for _, key := range []string{"MonitorPid", "Pid"} {
		// The container may already have died with its monitor (init's
		// parent-death signal): ESRCH.
		if err := unix.Kill(int(state[key].(float64)), unix.SIGKILL); err != nil && err != unix.ESRCH {
			t.Fatal(err)
		}
	}
	waitFor(t, "the killed container's process to go", func() bool {
		return unix.Kill(int(state["Pid"].(float64)), 0) != nil
	})

	rows := map[string][]string{} // name -> ID, status
	for _, l := range strings.Split(e.ok("ps", "-a", "--no-trunc", "--format", "{{.Names}}\t{{.ID}}\t{{.Status}}"), "\n") {
		f := strings.SplitN(l, "\t", 3)
		if len(f) != 3 {
			t.Fatalf("ps row %q", l)
		}
		if _, dup := rows[f[0]]; dup {
			t.Fatalf("%s listed twice", f[0])
		}
		rows[f[0]] = f[1:]
	}
	if len(rows) != 2*half {
		t.Fatalf("ps -a lists %d containers, want %d", len(rows), 2*half)
	}
	up := regexp.MustCompile(`^Up `)
	for i := 0; i < half; i++ {
		name := fmt.Sprintf("up%02d", i)
		want := up
		if i == half-1 {
			want = regexp.MustCompile(`^Exited \(137\)`)
		}
		if r := rows[name]; r == nil || r[0] != running[i] || !want.MatchString(r[1]) {
			t.Errorf("%s: %v, want ID %s and status %s", name, r, running[i], want)
		}
		want = regexp.MustCompile(fmt.Sprintf(`^Exited \(%d\) `, i%4))
		if r := rows[fmt.Sprintf("ex%02d", i)]; r == nil || r[0] != exited[i] || !want.MatchString(r[1]) {
			t.Errorf("ex%02d: %v, want ID %s and status %s", i, r, exited[i], want)
		}
	}

	ids := func(args ...string) []string {
		out := e.ok(append([]string{"ps", "--no-trunc", "-q"}, args...)...)
		list := strings.Fields(out)
		sort.Strings(list)
		return list
	}
	want := append([]string{}, running[:half-1]...)
	sort.Strings(want)
	if got := ids(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ps -q: %d IDs, want the %d running", len(got), len(want))
	}
	want = append(append([]string{}, exited...), victim)
	sort.Strings(want)
	if got := ids("--filter", "status=exited"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ps --filter status=exited: %d IDs, want %d", len(got), len(want))
	}
	if got := ids("-a", "--filter", "exited=3"); len(got) != half/4 {
		t.Errorf("ps -a --filter exited=3: %d IDs, want %d", len(got), half/4)
	}
	// The default table too: a header and one row per container.
	if lines := strings.Split(e.ok("ps", "-a"), "\n"); len(lines) != 2*half+1 {
		t.Errorf("ps -a table: %d lines, want %d", len(lines), 2*half+1)
	}
}

// 20 runs --rm at once on the default network all start, hold distinct
// names and addresses while they all run, and leave nothing behind: no
// record, mount, veth or address.
func TestScaleParallelRunsOnDefaultNetwork(t *testing.T) {
	e := newEnv(t)
	const n = 20
	syncDir := t.TempDir()
	// Each container writes its address under its hostname (its short
	// ID), then waits for the test's go-ahead, so that all 20 run at once.
	script := `ip -4 -o addr show eth0 | awk '{print $4}' > /sync/$(hostname).tmp && mv /sync/$(hostname).tmp /sync/$(hostname) &&
		i=0; while [ ! -e /sync/go ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done; [ -e /sync/go ]`
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmds := make([]*exec.Cmd, n)
	outs := make([]strings.Builder, n)
	for i := range cmds {
		cmds[i] = e.cmd(ctx, "run", "--rm", "-v", syncDir+":/sync", "busybox", "sh", "-c", script)
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, n)
	for i := range cmds {
		go func(i int) { done <- cmds[i].Wait() }(i)
	}
	// Release them however the test ends.
	defer os.WriteFile(filepath.Join(syncDir, "go"), nil, 0o644)
	deadline := time.Now().Add(2 * time.Minute) // a hang guard, not a timing
	for {
		files, _ := filepath.Glob(filepath.Join(syncDir, "[0-9a-f]*"))
		var ready []string
		for _, f := range files {
			if !strings.HasSuffix(f, ".tmp") {
				ready = append(ready, f)
			}
		}
		if len(ready) == n {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("a run ended before all %d were up: %v\n%v", n, err, outs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d containers came up", len(ready), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ips := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(syncDir, "[0-9a-f]*"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ip := strings.TrimSpace(string(data))
		if other, dup := ips[ip]; dup || ip == "" {
			t.Fatalf("address %q held by %s and %s", ip, other, filepath.Base(f))
		}
		ips[ip] = filepath.Base(f)
	}
	names := map[string]bool{}
	for _, l := range strings.Split(e.ok("ps", "--format", "{{.Names}}"), "\n") {
		if names[l] {
			t.Fatalf("name %s held twice", l)
		}
		names[l] = true
	}
	if len(names) != n || len(ips) != n {
		t.Fatalf("%d names and %d addresses for %d containers", len(names), len(ips), n)
	}
	subnet := e.networkField("bridge", "SUBNET")
	if err := os.WriteFile(filepath.Join(syncDir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := <-done; err != nil {
			t.Errorf("run --rm: %v", err)
		}
	}
	for i := range outs {
		if s := outs[i].String(); s != "" {
			t.Errorf("run %d said %q", i, s)
		}
	}
	e.assertNothingLeft()
	e.networkClean("bridge", subnet)
}

// Once the default network exists, a container is made on it without
// the network store's lock: parallel runs do not queue there. The test
// holds that lock while create runs; create must finish regardless.
func TestScaleDefaultNetworkResolvedWithoutLock(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "--rm", "busybox", "true") // makes the default network
	f, err := os.OpenFile(filepath.Join(e.root, "network", ".lock"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	// A hang guard, not a timing: with the lock needed, create waits for
	// it for ever.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := e.cmd(ctx, "create", "--name", "nolock", "busybox", "true")
	out, err := c.CombinedOutput()
	unix.Flock(int(f.Fd()), unix.LOCK_UN)
	if ctx.Err() != nil {
		t.Fatal("create on the default network waited for the network store's lock")
	}
	if err != nil {
		t.Fatalf("create: %v: %s", err, out)
	}
	e.run(0, "start", "-a", "nolock")
	e.ok("rm", "nolock")
}

// A network whose pool an older mydocker wrote (every allocation in its
// JSON) keeps those allocations: a new container gets the lowest free
// address, and network rm frees the pool of holders long gone.
func TestScaleOldPoolKeepsItsAddresses(t *testing.T) {
	e := newEnv(t)
	name, subnet := e.createNetwork(24)
	prefix := subnet[:strings.LastIndex(subnet, ".")+1]
	gone := strings.Repeat("ab", 32) // a container removed long ago
	pool := fmt.Sprintf(`{"Subnet": %q, "Allocated": {%q: %q, %q: %q}}`, subnet, prefix+"2", gone, prefix+"4", gone+"x")
	if err := os.WriteFile(filepath.Join(e.root, "network", "ipam", name+".json"), []byte(pool), 0o600); err != nil {
		t.Fatal(err)
	}
	out := e.ok("run", "--rm", "--network", name, "busybox", "sh", "-c", "ip -4 -o addr show eth0 | awk '{print $4}'")
	if want := prefix + "3/24"; out != want {
		t.Fatalf("address with .2 and .4 held: %q, want %s", out, want)
	}
	e.ok("network", "rm", name)
	for _, left := range []string{name + ".d", name + ".slots"} {
		if _, err := os.Stat(filepath.Join(e.root, "network", "ipam", left)); !os.IsNotExist(err) {
			t.Fatalf("addresses of the removed network left: %v", err)
		}
	}
}
