package tests

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	mrand "math/rand"
)

// Restart policies (--restart), carried out by each container's monitor:
// the seed article's `sleep N; exit 3` container under every policy, the
// back-off, and how stop, kill, rm -f, a killed monitor and a reboot
// (start --all-restartable) end or resume the loop.

// waitLoop is waitFor with room for restart loops: each restart is a
// whole container start, which takes seconds on a slow machine (the
// emulated VM of make vmtest). A bound on waiting, not a timing.
func waitLoop(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// restartRec is what these tests read of a record: config.json itself,
// which also has what inspect does not show (the next delay, the
// user's stop).
type restartRec struct {
	RestartCount int
	Config       struct{ RestartPolicy struct{ Name string } }
	State        struct {
		Status          string
		Pid             int
		MonitorPid      int
		ExitCode        int
		Restarting      bool
		RestartDelay    time.Duration
		ManuallyStopped bool
		StartedAt       time.Time
	}
}

func (e *env) restartRec(id string) restartRec {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.root, "containers", id, "config.json"))
	if err != nil {
		e.t.Fatal(err)
	}
	var r restartRec
	if err := json.Unmarshal(data, &r); err != nil {
		e.t.Fatal(err)
	}
	return r
}

// restartCount is RestartCount as inspect shows it.
func (e *env) restartCount(ref string) int {
	e.t.Helper()
	n, err := strconv.Atoi(e.ok("inspect", "-f", "{{.RestartCount}}", ref))
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// alive reports whether pid is a live process (not a zombie).
func alive(pid int) bool {
	st := procState(pid)
	return pid > 0 && st != "" && st != "Z"
}

// waitLoopOver waits until no monitor watches container id any more:
// after that nothing can restart it, so what the record says is final.
func (e *env) waitLoopOver(id string) restartRec {
	e.t.Helper()
	var r restartRec
	waitLoop(e.t, "the restart loop of "+id[:12]+" to end", func() bool {
		r = e.restartRec(id)
		return r.State.Status == "exited" && !r.State.Restarting && !alive(r.State.MonitorPid)
	})
	return r
}

// actions are the journal's events for container id, in order.
func (e *env) actions(id string) []string {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.root, "events.log"))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var ev struct {
			Action string
			Actor  struct{ ID string }
		}
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			e.t.Fatalf("journal line %q: %v", l, err)
		}
		if ev.Actor.ID == id {
			out = append(out, ev.Action)
		}
	}
	return out
}

// The seed's pod3.yaml container, `sleep N; exit 3`, under each policy,
// with the restart counts the article describes: Never stays down;
// Always and OnFailure restart it, on-failure:2 twice only; an exit 0
// is restarted by always, not by on-failure.
func TestRestartPolicyCounts(t *testing.T) {
	e := newEnv(t)
	seed := []string{"busybox", "sh", "-c", "sleep 0.2; exit 3"}
	run := func(policy string, cmd []string) string {
		return e.ok(append([]string{"run", "-d", "--network", "none", "--restart", policy}, cmd...)...)
	}
	never := run("no", seed)
	twice := run("on-failure:2", seed)
	onFailure := run("on-failure", seed)
	always := run("always", seed)
	cleanExit := run("on-failure", []string{"busybox", "true"})
	alwaysClean := run("always", []string{"busybox", "sh", "-c", "sleep 0.2"})

	r := e.waitLoopOver(never)
	if r.RestartCount != 0 || r.State.ExitCode != 3 || e.restartCount(never) != 0 {
		t.Errorf("no: %+v", r)
	}
	if got := strings.Join(e.actions(never), " "); got != "create start die" {
		t.Errorf("no: events %q", got)
	}
	r = e.waitLoopOver(twice)
	if r.RestartCount != 2 || r.State.ExitCode != 3 || e.restartCount(twice) != 2 {
		t.Errorf("on-failure:2: %+v", r)
	}
	// Each restart is a die then a start, as Docker's.
	if got := strings.Join(e.actions(twice), " "); got != "create start die start die start die" {
		t.Errorf("on-failure:2: events %q", got)
	}
	r = e.waitLoopOver(cleanExit)
	if r.RestartCount != 0 || r.State.ExitCode != 0 {
		t.Errorf("on-failure after exit 0: %+v", r)
	}
	for _, id := range []string{onFailure, always, alwaysClean} {
		waitLoop(t, "3 restarts", func() bool { return e.restartCount(id) >= 3 })
		st := e.state(id)
		if st["Status"] != "running" && st["Status"] != "restarting" {
			t.Errorf("%s in the loop: %v", id[:12], st)
		}
	}
	policy := e.inspect(twice)["HostConfig"].(map[string]any)["RestartPolicy"].(map[string]any)
	if policy["Name"] != "on-failure" || policy["MaximumRetryCount"].(float64) != 2 {
		t.Errorf("HostConfig.RestartPolicy %v", policy)
	}
	policy = e.inspect(never)["HostConfig"].(map[string]any)["RestartPolicy"].(map[string]any)
	if policy["Name"] != "no" || policy["MaximumRetryCount"].(float64) != 0 {
		t.Errorf("HostConfig.RestartPolicy of no %v", policy)
	}
	// stop ends every loop; nothing restarts a stopped container.
	e.ok("stop", "-t", "0", onFailure, always, alwaysClean)
	for _, id := range []string{onFailure, always, alwaysClean} {
		r := e.waitLoopOver(id)
		if !r.State.ManuallyStopped || e.state(id)["Status"] != "exited" {
			t.Errorf("%s after stop: %+v", id[:12], r)
		}
		if n := e.restartCount(id); n != r.RestartCount {
			t.Errorf("%s restarted after stop: %d, then %d", id[:12], r.RestartCount, n)
		}
	}
	// A user's start begins the count again, as Docker's: on-failure:2
	// restarts it twice more.
	e.ok("start", twice)
	if r := e.waitLoopOver(twice); r.RestartCount != 2 {
		t.Errorf("on-failure:2 started again: %+v", r)
	}
	if got := strings.Count(strings.Join(e.actions(twice), " "), "start"); got != 6 {
		t.Errorf("on-failure:2 started again: %d starts, want 3 more", got)
	}
}

// The back-off doubles from 100 ms: the delay recorded for the n-th
// restart is 100ms·2^(n-1); runs are in order; ps words the wait as
// Docker does.
func TestRestartBackoffGrows(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "--network", "none", "--restart", "always", "busybox", "sh", "-c", "exit 3")
	seen := map[int]time.Duration{}
	var started []time.Time
	waitLoop(t, "five restarts", func() bool {
		r := e.restartRec(id)
		if r.State.Restarting {
			if d, ok := seen[r.RestartCount]; ok && d != r.State.RestartDelay {
				t.Fatalf("restart %d: delay %v, then %v", r.RestartCount, d, r.State.RestartDelay)
			}
			seen[r.RestartCount] = r.State.RestartDelay
			if n := len(started); n == 0 || !started[n-1].Equal(r.State.StartedAt) {
				started = append(started, r.State.StartedAt)
			}
		}
		return r.RestartCount >= 5
	})
	for n := 1; n <= 4; n++ {
		d, ok := seen[n]
		if !ok {
			// The first wait is only 100 ms: a loaded machine may let
			// it pass unseen. The later ones last long enough.
			if n > 1 {
				t.Errorf("restart %d never seen waiting", n)
			}
			continue
		}
		if want := 100 * time.Millisecond << (n - 1); d != want {
			t.Errorf("restart %d: delay %v, want %v", n, d, want)
		}
	}
	for i := 1; i < len(started); i++ {
		if !started[i].After(started[i-1]) {
			t.Errorf("run %d started at %v, not after run %d's %v", i+1, started[i], i, started[i-1])
		}
	}
	// The fifth wait is 1.6 s: ps shows it.
	waitLoop(t, "ps to show the wait", func() bool {
		return strings.HasPrefix(e.ok("ps", "--format", "{{.Status}}"), "Restarting (3) ")
	})
	if got := e.ok("ps", "-q", "--filter", "status=restarting"); got != id[:12] {
		// The wait may have just ended: it is running, then restarting.
		if got != "" {
			t.Errorf("ps --filter status=restarting: %q", got)
		}
	}
	waitLoop(t, "inspect to show the wait", func() bool {
		st := e.state(id)
		return st["Status"] == "restarting" && st["Restarting"] == true && st["Running"] == true && st["ExitCode"].(float64) == 3
	})
}

// longWait brings a container that always fails to a back-off of 12.8 s
// (its 8th restart), longer than stop waits for a monitor (10 s): a
// stop that did not wake the monitor would leave it sleeping.
func (e *env) longWait(id string) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		r := e.restartRec(id)
		if r.State.Restarting && r.State.RestartDelay >= 12800*time.Millisecond {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no long back-off: %+v", r)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop, kill and rm -f end the loop during the back-off sleep at once:
// the monitor is gone when stop returns, long before its sleep would
// have ended; rm without -f refuses a restarting container.
func TestRestartStopKillRmDuringBackoff(t *testing.T) {
	e := newEnv(t)
	name, _ := e.createNetwork(24)
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, e.ok("run", "-d", "--network", name, "-p", strconv.Itoa(freePort(t))+":80", "--restart", "always", "busybox", "sh", "-c", "exit 1"))
	}
	for _, id := range ids {
		e.longWait(id)
	}
	stopped, killed, removed := ids[0], ids[1], ids[2]

	// Each is acted on just after it is seen in its long wait, which a
	// slow machine may have let pass while it looked at the others.
	e.longWait(removed)
	r := e.run(125, "rm", removed)
	if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 1 || !strings.Contains(r.stderr, "restarting") || !strings.Contains(r.stderr, "rm -f") {
		t.Errorf("rm of a restarting container: %q", r.stderr)
	}

	e.longWait(stopped)
	monitor := e.restartRec(stopped).State.MonitorPid
	count := e.restartRec(stopped).RestartCount
	e.ok("stop", stopped)
	if alive(monitor) {
		t.Errorf("stop returned with the monitor %d still waiting to restart", monitor)
	}
	if r := e.restartRec(stopped); r.State.Restarting || !r.State.ManuallyStopped || r.RestartCount != count || e.state(stopped)["Status"] != "exited" {
		t.Errorf("after stop during the back-off: %+v", r)
	}
	if a := e.actions(stopped); a[len(a)-1] != "stop" {
		t.Errorf("events after stop: %v", a)
	}

	e.longWait(killed)
	monitor = e.restartRec(killed).State.MonitorPid
	count = e.restartRec(killed).RestartCount
	e.ok("kill", killed)
	r2 := e.waitLoopOver(killed)
	if r2.RestartCount != count || !r2.State.ManuallyStopped || alive(monitor) {
		t.Errorf("after kill during the back-off: %+v", r2)
	}

	e.longWait(removed)
	monitor = e.restartRec(removed).State.MonitorPid
	e.ok("rm", "-f", removed)
	if alive(monitor) {
		t.Errorf("rm -f returned with the monitor %d alive", monitor)
	}
	if _, err := os.Stat(filepath.Join(e.root, "containers", removed)); !os.IsNotExist(err) {
		t.Errorf("record of the removed container: %v", err)
	}
	e.ok("rm", "-f", stopped, killed)
	e.assertNothingLeft()
}

// kill with SIGKILL (its default) or the stop signal stops a container
// for good, as Docker's; another signal that ends it, or a process killed
// on the host (a crash), is a failure the policy restarts.
func TestRestartAfterKill(t *testing.T) {
	e := newEnv(t)
	trap := []string{"busybox", "sh", "-c", "trap 'exit 7' USR1; trap 'exit 143' TERM; echo up; while :; do sleep 0.05; done"}
	run := func(cmd []string) string {
		return e.ok(append([]string{"run", "-d", "--network", "none", "--restart", "always"}, cmd...)...)
	}
	byKill := run([]string{"busybox", "sleep", "1000"})
	byTerm := run(trap) // its stop signal, SIGTERM, ends the shell
	byUsr1 := run(trap)
	byHost := run([]string{"busybox", "sleep", "1000"})
	for _, id := range []string{byTerm, byUsr1} {
		waitLoop(t, "the trap", func() bool { return strings.Contains(e.ok("logs", id), "up") })
	}

	e.ok("kill", byKill)
	e.ok("kill", "-s", "TERM", byTerm)
	for _, id := range []string{byKill, byTerm} {
		if r := e.waitLoopOver(id); r.RestartCount != 0 || !r.State.ManuallyStopped {
			t.Errorf("%s restarted after kill: %+v", id[:12], r)
		}
	}

	e.ok("kill", "-s", "USR1", byUsr1)
	waitLoop(t, "a restart after exit 7", func() bool { return e.restartCount(byUsr1) == 1 })
	pid := e.restartRec(byHost).State.Pid
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitLoop(t, "a restart after a crash", func() bool { return e.restartCount(byHost) == 1 })
	for _, id := range []string{byUsr1, byHost} {
		waitLoop(t, "running again", func() bool { return e.state(id)["Status"] == "running" })
	}
	if r := e.restartRec(byUsr1); r.State.ManuallyStopped {
		t.Errorf("USR1 counted as a stop: %+v", r)
	}
	e.ok("rm", "-f", byUsr1, byHost)
}

// A restarted container is the same container: its files, volumes,
// network and published ports come back with it.
func TestRestartKeepsTheContainer(t *testing.T) {
	e := newEnv(t)
	name, _ := e.createNetwork(24)
	vol := t.TempDir()
	port := freePort(t)
	// Fails twice, then serves how many runs its writable layer and its
	// volume have seen.
	script := `echo run >> /runs; echo run >> /vol/runs; n=$(wc -l < /runs); [ "$n" -ge 3 ] || exit 1; mkdir -p /www; echo "$n $(wc -l < /vol/runs)" > /www/index.html; exec httpd -f -p 80 -h /www`
	id := e.ok("run", "-d", "--name", "same", "--network", name, "-p", fmt.Sprintf("127.0.0.1:%d:80", port), "-v", vol+":/vol",
		"--restart", "on-failure", "busybox", "sh", "-c", script)
	waitLoop(t, "two restarts", func() bool { return e.restartCount(id) == 2 && e.state(id)["Status"] == "running" })
	if got := strings.TrimSpace(httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port))); got != "3 3" {
		t.Errorf("the third run served %q, want its layer and volume to have seen 3 runs", got)
	}
	ns := e.inspect(id)["NetworkSettings"].(map[string]any)
	if ns["Networks"].(map[string]any)[name] == nil || ns["IPAddress"] == "" {
		t.Errorf("network after restarts: %v", ns)
	}
	e.ok("rm", "-f", id)
	e.assertNothingLeft()
	if data, err := os.ReadFile(filepath.Join(vol, "runs")); err != nil || strings.Count(string(data), "run") != 3 {
		t.Errorf("volume data after rm: %q %v", data, err)
	}
}

// kill -9 of the monitor anywhere in a restart loop (container running,
// back-off sleep, and at random moments: starting too), then rm -f: nothing is left, no mount,
// cgroup, veth, iptables rule or process (the env's cleanup checks the
// rest).
func TestRestartKilledMonitorThenRm(t *testing.T) {
	e := newEnv(t)
	name, _ := e.createNetwork(24)
	for i, phase := range []string{"restarting", "running", "any", "any", "restarting", "running"} {
		id := e.ok("run", "-d", "--network", name, "-p", strconv.Itoa(freePort(t))+":80", "--restart", "always",
			"busybox", "sh", "-c", fmt.Sprintf("sleep 0.%d; exit 1", 2+i))
		var r restartRec
		waitLoop(t, "restarts, then "+phase, func() bool {
			r = e.restartRec(id)
			switch phase {
			case "restarting":
				return r.RestartCount >= 2 && r.State.Restarting
			case "running":
				return r.RestartCount >= 2 && r.State.Status == "running" && alive(r.State.Pid)
			}
			return r.RestartCount >= 2
		})
		if phase == "any" {
			// Somewhere in the loop, starting the container included.
			time.Sleep(time.Duration(mrand.Intn(300)) * time.Millisecond)
		}
		if err := syscall.Kill(r.State.MonitorPid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		waitLoop(t, "the monitor to die", func() bool { return !alive(r.State.MonitorPid) })
		// The container dies with it (parent-death signal), a moment
		// later; then nothing restarts it: exited, not restarting.
		waitLoop(t, "exited, not restarting", func() bool {
			st := e.state(id)
			return st["Status"] == "exited" && st["Restarting"] == false
		})
		e.ok("rm", "-f", id)
		e.assertNothingLeft()
		if pids := e.processesOfRoot(); len(pids) > 0 {
			t.Errorf("processes left after rm -f: %v", pids)
		}
	}
}

// A foreground run leaves with its first run's exit code, as Docker's
// client does; the restarts go on under a monitor of their own. ^C
// (SIGINT to mydocker) stops it for good.
func TestRestartForeground(t *testing.T) {
	e := newEnv(t)
	r := e.run(3, "run", "--name", "fg", "--network", "none", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo ran; exit 3")
	if r.stdout != "ran\n" {
		t.Errorf("foreground output %q", r.stdout)
	}
	id := e.ok("inspect", "-f", "{{.Id}}", "fg")
	if got := e.waitLoopOver(id); got.RestartCount != 2 {
		t.Errorf("after the foreground run: %+v", got)
	}
	if logs := e.ok("logs", "fg"); strings.Count(logs, "ran") != 3 {
		t.Errorf("logs %q", logs)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := e.cmd(ctx, "run", "--name", "int", "--network", "none", "--restart", "always", "busybox", "sh", "-c",
		"trap 'exit 130' INT; echo ready; while :; do sleep 0.05; done")
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("read %q: %v", line, err)
	}
	if err := c.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(); err == nil || c.ProcessState.ExitCode() != 130 {
		t.Fatalf("foreground run after ^C: %v", err)
	}
	id = e.ok("inspect", "-f", "{{.Id}}", "int")
	if got := e.waitLoopOver(id); got.RestartCount != 0 || !got.State.ManuallyStopped {
		t.Errorf("restarted after ^C: %+v", got)
	}
}

// A reboot, simulated: every monitor and container process killed, the
// records still saying running. start --all-restartable starts again the
// always containers (even one the user stopped, as Docker's daemon does)
// and the unless-stopped ones the user did not stop; nothing else.
func TestStartAllRestartable(t *testing.T) {
	e := newEnv(t)
	up := func(name, policy string) string {
		return e.ok("run", "-d", "--name", name, "--network", "none", "--restart", policy, "busybox", "sleep", "1000")
	}
	ids := map[string]string{
		"always":         up("always", "always"),
		"unless":         up("unless", "unless-stopped"),
		"unless-stopped": up("unless-stopped", "unless-stopped"),
		"always-stopped": up("always-stopped", "always"),
		"onfailure":      up("onfailure", "on-failure"),
		"no":             up("no", "no"),
	}
	ids["created"] = e.ok("create", "--name", "created", "--network", "none", "--restart", "always", "busybox", "sleep", "1000")
	e.ok("stop", "-t", "0", "unless-stopped", "always-stopped")
	for _, n := range []string{"always", "unless", "onfailure", "no"} {
		r := e.restartRec(ids[n])
		if err := syscall.Kill(r.State.MonitorPid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		syscall.Kill(r.State.Pid, syscall.SIGKILL)
		waitLoop(t, "the processes to go", func() bool { return !alive(r.State.MonitorPid) && !alive(r.State.Pid) })
		if got := e.restartRec(ids[n]).State.Status; got != "running" {
			t.Fatalf("%s: record says %s, want the running a reboot leaves", n, got)
		}
	}
	started := strings.Fields(e.ok("start", "--all-restartable"))
	want := map[string]bool{"always": true, "unless": true, "always-stopped": true}
	if len(started) != len(want) {
		t.Errorf("started %v, want %v", started, want)
	}
	for _, n := range started {
		if !want[n] {
			t.Errorf("started %s", n)
		}
	}
	for n, id := range ids {
		st := e.state(id)["Status"]
		if want[n] != (st == "running") {
			t.Errorf("%s is %s after start --all-restartable", n, st)
		}
	}
	// Once they run there is nothing more to start.
	if got := e.ok("start", "--all-restartable"); got != "" {
		t.Errorf("second start --all-restartable started %q", got)
	}
	r := e.run(125, "start", "--all-restartable", "always")
	if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "--all-restartable") {
		t.Errorf("start --all-restartable NAME: %q", r.stderr)
	}
}

// Bad --restart values and --restart with --rm fail before anything is
// made: exit 125, one line naming the flag and the value.
func TestRestartBadInputs(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--restart", "on-failure:-1"}, `"on-failure:-1"`},
		{[]string{"--restart", "always:3"}, `"always:3"`},
		{[]string{"--restart", "bogus"}, `"bogus"`},
		{[]string{"--restart", "on-failure:x"}, `"on-failure:x"`},
		{[]string{"--restart", "on-failure:"}, `"on-failure:"`},
		{[]string{"--restart", "unless-stopped:1"}, `"unless-stopped:1"`},
		{[]string{"--restart", "always", "--rm"}, "--rm"},
		{[]string{"--rm", "--restart", "on-failure:1"}, "--rm"},
	} {
		for _, cmd := range []string{"run", "create"} {
			args := append(append([]string{cmd, "--network", "none"}, c.args...), "busybox", "true")
			r := e.run(125, args...)
			if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, c.msg) || !strings.Contains(r.stderr, "--restart") {
				t.Errorf("%v: stderr %q", args, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("%v: stdout %q", args, r.stdout)
			}
		}
	}
	e.assertNothingLeft()
	// --restart no goes with --rm, as Docker's.
	e.ok("run", "--rm", "--restart", "no", "--network", "none", "busybox", "true")
	id := e.ok("create", "--network", "none", "--restart", "on-failure:5", "busybox", "true")
	v := e.inspect(id)
	p := v["HostConfig"].(map[string]any)["RestartPolicy"].(map[string]any)
	if p["Name"] != "on-failure" || p["MaximumRetryCount"].(float64) != 5 || v["RestartCount"].(float64) != 0 {
		t.Errorf("create --restart on-failure:5: %v %v", p, v["RestartCount"])
	}
}

// A reboot takes the networks' bridges and rules with it; the records
// stay. start --all-restartable makes them again, so a container on a
// network comes back with its published port.
func TestStartAllRestartableRestoresNetwork(t *testing.T) {
	e := newEnv(t)
	name, _ := e.createNetwork(24)
	port := freePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	id := e.ok("run", "-d", "--name", "web", "--network", name, "-p", fmt.Sprintf("127.0.0.1:%d:80", port), "--restart", "always", "busybox", "sh", "-c", webScript)
	if got := httpGet(t, url); !strings.HasPrefix(got, "hello from") {
		t.Fatalf("before the reboot: %q", got)
	}
	r := e.restartRec(id)
	syscall.Kill(r.State.MonitorPid, syscall.SIGKILL)
	syscall.Kill(r.State.Pid, syscall.SIGKILL)
	waitLoop(t, "the processes to go", func() bool { return !alive(r.State.MonitorPid) && !alive(r.State.Pid) })
	data, err := os.ReadFile(filepath.Join(e.root, "network", "networks", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var n struct{ Bridge string }
	if err := json.Unmarshal(data, &n); err != nil || n.Bridge == "" {
		t.Fatalf("network record %s: %v", data, err)
	}
	if out, err := exec.Command("ip", "link", "del", n.Bridge).CombinedOutput(); err != nil {
		t.Fatalf("ip link del %s: %v: %s", n.Bridge, err, out)
	}
	for _, table := range []string{"nat", "filter"} {
		out, err := exec.Command("iptables-save", "-t", table).Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, rule := range strings.Split(string(out), "\n") {
			if strings.Contains(rule, "mydocker-net:"+n.Bridge+" ") || strings.Contains(rule, "mydocker-net:"+n.Bridge+`"`) {
				deleteSavedRule(t, table, rule)
			}
		}
	}
	if got := e.ok("start", "--all-restartable"); got != "web" {
		t.Fatalf("start --all-restartable started %q", got)
	}
	if !linkExists(n.Bridge) {
		t.Errorf("bridge %s not restored", n.Bridge)
	}
	if got := httpGet(t, url); !strings.HasPrefix(got, "hello from") {
		t.Errorf("after the reboot: %q", got)
	}
}
