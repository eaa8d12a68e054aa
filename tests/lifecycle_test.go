package tests

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// psRows parses `ps` table output into rows of columns (ID NAME IMAGE
// PID STATUS COMMAND CREATED PORTS), cut where the header's titles start: a
// cell may hold spaces ("Up 3 seconds").
func psRows(t *testing.T, out string) [][]string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	header := lines[0]
	if !strings.HasPrefix(header, "ID") || !strings.Contains(header, "NAME") || !strings.Contains(header, "CREATED") {
		t.Fatalf("ps header %q", header)
	}
	var starts []int
	for i := range header {
		if header[i] != ' ' && (i == 0 || header[i-1] == ' ') {
			starts = append(starts, i)
		}
	}
	var rows [][]string
	for _, l := range lines[1:] {
		row := make([]string, len(starts))
		for c, s := range starts {
			end := len(l)
			if c+1 < len(starts) && starts[c+1] < end {
				end = starts[c+1]
			}
			if s < end {
				row[c] = strings.TrimSpace(l[s:end])
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func (e *env) inspect(ref string) map[string]any {
	e.t.Helper()
	var out []map[string]any
	if err := json.Unmarshal([]byte(e.ok("inspect", ref)), &out); err != nil || len(out) != 1 {
		e.t.Fatalf("inspect %s: %v %v", ref, out, err)
	}
	return out[0]
}

func (e *env) state(ref string) map[string]any {
	e.t.Helper()
	return e.inspect(ref)["State"].(map[string]any)
}

// The blog's chapter-14 session, command for command.
func TestBlogChapter14Session(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "-name", "rootfs", "busybox", "top")
	if len(id) != 64 {
		t.Fatalf("run -d printed %q, want only the ID", id)
	}
	rows := psRows(t, e.ok("ps"))
	if len(rows) != 1 || !strings.HasPrefix(id, rows[0][0]) || rows[0][1] != "rootfs" || !strings.HasPrefix(rows[0][4], "Up ") || rows[0][5] != "top" {
		t.Fatalf("ps rows %v", rows)
	}
	short := rows[0][0]
	ws := filepath.Join(e.root, "overlay2", id)
	for _, d := range []string{"upper", "work", "merged/bin"} {
		if _, err := os.Stat(filepath.Join(ws, d)); err != nil {
			t.Fatalf("workspace: %v", err)
		}
	}
	e.runIn([]byte("echo KubeExplorer > a.txt\ncat a.txt\n"), 0, "exec", short, "/bin/sh")
	if got, err := os.ReadFile(filepath.Join(ws, "merged", "a.txt")); err != nil || string(got) != "KubeExplorer\n" {
		t.Fatalf("merged/a.txt = %q, %v", got, err)
	}
	e.ok("commit", short, "busybox-with-custom")
	if _, err := os.Stat(filepath.Join(e.root, "image", "busybox-with-custom.tar")); err != nil {
		t.Fatal(err)
	}
	id2 := e.ok("run", "-d", "-name", "rootfs2", "busybox-with-custom", "top")
	if got := e.runIn([]byte("cat a.txt\n"), 0, "exec", id2[:10], "/bin/sh").stdout; got != "KubeExplorer\n" {
		t.Fatalf("committed image lacks a.txt: %q", got)
	}
	if rows := psRows(t, e.ok("ps")); len(rows) != 2 {
		t.Fatalf("ps rows %v", rows)
	}
	e.ok("rm", short, "-f")
	if _, err := os.Stat(ws); !os.IsNotExist(err) {
		t.Fatalf("workspace left after rm -f: %v", err)
	}
	if rows := psRows(t, e.ok("ps")); len(rows) != 1 || rows[0][1] != "rootfs2" {
		t.Fatalf("ps after rm %v", rows)
	}
	if m := mountsUnder(t, ws); len(m) > 0 {
		t.Fatalf("mounts left: %v", m)
	}
}

func TestDetachedReturnsAtOnceAndRecordsExit(t *testing.T) {
	e := newEnv(t)
	// $(...) reads stdout until every holder closes it: if the monitor or
	// the container kept the caller's stdout, reading run -d's output
	// would last as long as the container (here 1000 s, not 60). The
	// image is read in first: the first use of the blog tar runs
	// mydocker-kube, which under qemu's TCG can take longer than the
	// start itself.
	e.ok("images")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := e.cmd(ctx, "run", "-d", "busybox", "sleep", "1000")
	out, err := c.Output()
	if err != nil || ctx.Err() != nil {
		t.Fatalf("run -d of a long container did not return: %v %v", err, ctx.Err())
	}
	e.ok("rm", "-f", strings.TrimSpace(string(out)))
	id := e.ok("run", "-d", "busybox", "sh", "-c", "echo out; echo err >&2; sleep 1; exit 7")
	waitFor(t, "container to exit", func() bool { return e.state(id)["Status"] == "exited" })
	st := e.state(id)
	if st["ExitCode"].(float64) != 7 || st["FinishedAt"] == "0001-01-01T00:00:00Z" {
		t.Fatalf("state %v", st)
	}
	if rows := psRows(t, e.ok("ps")); len(rows) != 0 {
		t.Fatalf("ps lists an exited container: %v", rows)
	}
	rows := psRows(t, e.ok("ps", "-a"))
	if len(rows) != 1 || !strings.HasPrefix(rows[0][4], "Exited (7) ") || rows[0][3] != "" {
		t.Fatalf("ps %v", rows)
	}
	r := e.run(0, "logs", id)
	if r.stdout != "out\n" || r.stderr != "err\n" {
		t.Fatalf("logs stdout %q stderr %q", r.stdout, r.stderr)
	}
	if m := mountsUnder(t, e.root); len(m) > 0 {
		t.Fatalf("exited container still mounted: %v", m)
	}
}

func TestDetachedStartErrors(t *testing.T) {
	e := newEnv(t)
	r := e.run(127, "run", "-d", "busybox", "nosuchcmd")
	if r.stdout != "" || !strings.Contains(r.stderr, "nosuchcmd") {
		t.Fatalf("stdout %q stderr %q", r.stdout, r.stderr)
	}
	e.assertNothingLeft()
}

func TestLogsFollowAndTail(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "busybox", "sh", "-c", "for i in 1 2 3 4 5; do echo line$i; sleep 0.2; done; echo bye >&2")
	// -f returns when the container ends, with everything it wrote.
	r := e.run(0, "logs", "-f", id)
	if r.stdout != "line1\nline2\nline3\nline4\nline5\n" || r.stderr != "bye\n" {
		t.Fatalf("logs -f stdout %q stderr %q", r.stdout, r.stderr)
	}
	r = e.run(0, "logs", "--tail", "2", id)
	if r.stdout != "line5\n" || r.stderr != "bye\n" {
		t.Fatalf("--tail 2: stdout %q stderr %q", r.stdout, r.stderr)
	}
	e.run(125, "logs", "--tail", "x", id)
}

func TestExec(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "web", "-e", "FROM_RUN=1", "-w", "/srv", "busybox", "sleep", "1000")
	out := e.ok("exec", "-e", "FROM_EXEC=2", "web", "sh", "-c", `echo "$FROM_RUN $FROM_EXEC $(pwd) $(hostname)"; cat /proc/1/cmdline | tr '\0' ' '`)
	id := e.containerIDs()[0]
	if out != "1 2 /srv "+id[:12]+"\nsleep 1000" {
		t.Fatalf("exec sees %q", out)
	}
	// Arguments stay whole, exit codes pass through.
	if got := e.ok("exec", "web", "sh", "-c", `echo "a  b"`); got != "a  b" {
		t.Fatalf("%q", got)
	}
	e.run(3, "exec", "web", "sh", "-c", "exit 3")
	e.run(127, "exec", "web", "nosuch")
	e.run(126, "exec", "web", "/etc/passwd")
	// The blog's way: commands on stdin without -i.
	if got := e.runIn([]byte("echo piped\n"), 0, "exec", "web", "/bin/sh").stdout; got != "piped\n" {
		t.Fatalf("stdin: %q", got)
	}
	// The exec'd process is in the container's PID namespace: its own pid
	// is the one the container's /proc knows it by (read by the shell
	// itself, no fork; outside the namespace /proc/self would not resolve).
	if got := e.ok("exec", "web", "sh", "-c", `read p rest < /proc/self/stat && [ "$p" = "$$" ] && echo same-ns`); got != "same-ns" {
		t.Fatalf("exec is not in the container's pid namespace: %q", got)
	}
	out, code := runInPty(t, e, "", "exec", "-it", "web", "tty")
	if code != 0 || !strings.Contains(out, "/dev/pts/") {
		t.Fatalf("exec -it: %d %q", code, out)
	}
	e.run(1, "exec", "nosuchcontainer", "true")
	e.ok("stop", "-t", "0", "web")
	r := e.run(125, "exec", "web", "true")
	if !strings.Contains(r.stderr, "not running") {
		t.Fatalf("exec into stopped: %q", r.stderr)
	}
}

func TestStopIgnoringSIGTERMAndStart(t *testing.T) {
	e := newEnv(t)
	vol := t.TempDir()
	// sleep as pid 1 has no SIGTERM handler: the kernel drops SIGTERM.
	id := e.ok("run", "-d", "--name", "stubborn", "-v", vol+":/data", "busybox", "sh", "-c", "echo kept > /file; echo $$ > /data/pid; exec sleep 1000")
	waitFor(t, "container to write", func() bool { _, err := os.Stat(filepath.Join(vol, "pid")); return err == nil })
	start := time.Now()
	if got := e.ok("stop", "-t", "1", "stubborn"); got != "stubborn" {
		t.Fatalf("stop printed %q", got)
	}
	if time.Since(start) < time.Second {
		t.Error("stop did not wait for the timeout before SIGKILL")
	}
	st := e.state(id)
	if st["Status"] != "exited" || st["ExitCode"].(float64) != 137 {
		t.Fatalf("after stop: %v", st)
	}
	if m := mountsUnder(t, e.root); len(m) > 0 {
		t.Fatalf("stopped container holds mounts: %v", m)
	}
	if _, err := os.Stat(filepath.Join(e.root, "overlay2", id, "upper", "file")); err != nil {
		t.Fatalf("writable layer lost at stop: %v", err)
	}
	// start brings it back: same ID and name, files, volumes, settings.
	e.ok("start", "stubborn")
	if st := e.state(id); st["Status"] != "running" {
		t.Fatalf("after start: %v", st)
	}
	if got := e.ok("exec", "stubborn", "sh", "-c", "cat /file; ls /data"); got != "kept\npid" {
		t.Fatalf("after start sees %q", got)
	}
	if got := e.inspect("stubborn")["Id"]; got != id {
		t.Fatalf("start changed the ID: %v", got)
	}
	// A SIGTERM-handling container exits at once with 143.
	id2 := e.ok("run", "-d", "busybox", "sh", "-c", "trap 'exit 143' TERM; while :; do sleep 0.1; done")
	start = time.Now()
	e.ok("stop", id2[:8])
	if time.Since(start) > 5*time.Second {
		t.Error("stop waited although the container exited on SIGTERM")
	}
	if st := e.state(id2); st["ExitCode"].(float64) != 143 {
		t.Fatalf("state %v", st)
	}
}

func TestRmRefusesRunningThenForces(t *testing.T) {
	e := newEnv(t)
	vol := t.TempDir()
	if err := os.WriteFile(filepath.Join(vol, "precious"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	id := e.ok("run", "-d", "--name", "victim", "-v", vol+":/data", "busybox", "sleep", "1000")
	r := e.run(125, "rm", "victim")
	if !strings.Contains(r.stderr, "victim") || !strings.Contains(r.stderr, "-f") {
		t.Fatalf("rm of running: %q", r.stderr)
	}
	if e.state(id)["Status"] != "running" {
		t.Fatal("refused rm still stopped the container")
	}
	// The blog's order: rm ID -f
	if got := e.ok("rm", id[:12], "-f"); got != id[:12] {
		t.Fatalf("rm printed %q", got)
	}
	e.assertNothingLeft()
	if got, err := os.ReadFile(filepath.Join(vol, "precious")); err != nil || string(got) != "data" {
		t.Fatalf("volume data lost: %q %v", got, err)
	}
	r = e.run(1, "rm", "victim")
	if !strings.Contains(r.stderr, "no such container: victim") {
		t.Fatalf("rm of unknown: %q", r.stderr)
	}
}

// rm -f cleans up after a monitor that was SIGKILLed: the kernel kills the
// container with it and leaves its rootfs mounted.
func TestRmAfterKilledMonitor(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "busybox", "sleep", "1000")
	st := e.record(id)["State"].(map[string]any)
	monitor := int(st["MonitorPid"].(float64))
	if err := syscall.Kill(monitor, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "container to die with its monitor", func() bool { return e.state(id)["Status"] == "exited" })
	if st := e.state(id); st["ExitCode"].(float64) != 137 {
		t.Fatalf("state %v", st)
	}
	if len(mountsUnder(t, e.root)) == 0 {
		t.Fatal("expected the killed monitor to leave the rootfs mounted")
	}
	e.ok("rm", id)
	e.assertNothingLeft()
}

func TestNamesAndPrefixes(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "web", "busybox", "sleep", "1000")
	r := e.run(125, "run", "-d", "--name", "web", "busybox", "true")
	if !strings.Contains(r.stderr, `"web"`) || !strings.Contains(r.stderr, "in use") {
		t.Fatalf("name clash: %q", r.stderr)
	}
	if n := len(e.containerIDs()); n != 1 {
		t.Fatalf("clash left a record: %d", n)
	}
	// Make IDs until two share a first hex digit: that prefix is ambiguous.
	seen := map[byte]string{}
	var amb byte
	for amb == 0 {
		id := e.ok("run", "-d", "busybox", "true")
		if _, ok := seen[id[0]]; ok {
			amb = id[0]
		}
		seen[id[0]] = id
	}
	r = e.run(125, "inspect", string(amb))
	if !strings.Contains(r.stderr, "ambiguous") {
		t.Fatalf("ambiguous prefix: %q", r.stderr)
	}
	r = e.run(1, "stop", "nope")
	if !strings.Contains(r.stderr, "no such container: nope") {
		t.Fatalf("unknown: %q", r.stderr)
	}
}

func TestPsFormats(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "--name", "one", "busybox", "sh", "-c", "echo 'x  y'; sleep 1000")
	if got := e.ok("ps", "-q"); got != id[:12] {
		t.Fatalf("ps -q %q", got)
	}
	var row map[string]any
	if err := json.Unmarshal([]byte(e.ok("ps", "--format", "json")), &row); err != nil {
		t.Fatal(err)
	}
	if row["Names"] != "one" || row["State"] != "running" || !strings.HasPrefix(row["Status"].(string), "Up ") || row["Pid"].(float64) <= 0 {
		t.Fatalf("json row %v", row)
	}
	e.run(125, "ps", "--format", "{{.Nope}}")
}

func TestInspectFields(t *testing.T) {
	e := newEnv(t)
	vol := t.TempDir()
	e.ok("run", "-d", "--name", "ins", "-e", "A=1", "-v", vol+":/v:ro", "busybox", "sleep", "1000")
	rec := e.inspect("ins")
	for _, k := range []string{"Id", "Name", "Image", "Config", "State", "NetworkSettings", "Created"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("inspect lacks %s", k)
		}
	}
	cfg := rec["Config"].(map[string]any)
	if cfg["Cmd"].([]any)[0] != "sleep" || !strings.Contains(mustJSON(cfg["Env"]), "A=1") || !strings.Contains(mustJSON(rec["Mounts"]), vol) {
		t.Errorf("config %v", cfg)
	}
	// As Docker: the name with a slash, Image the image's ID and
	// Config.Image the reference given.
	if rec["Name"] != "/ins" || !strings.HasPrefix(rec["Image"].(string), "sha256:") || cfg["Image"] != "busybox" || len(rec["Id"].(string)) != 64 {
		t.Errorf("Id %v Name %v Image %v", rec["Id"], rec["Name"], rec["Image"])
	}
	// The state is the live one: the pid runs the command, it started
	// after it was created, and it has not finished.
	st := rec["State"].(map[string]any)
	pid, _ := st["Pid"].(float64)
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", int(pid)))
	if err != nil || string(cmdline) != "sleep\x001000\x00" {
		t.Errorf("State.Pid %v runs %q (%v), want sleep 1000", st["Pid"], cmdline, err)
	}
	created, started := parseTime(t, rec["Created"]), parseTime(t, st["StartedAt"])
	if st["Status"] != "running" || st["ExitCode"].(float64) != 0 || st["OOMKilled"] != false ||
		started.Before(created) || time.Since(started) > time.Hour || !parseTime(t, st["FinishedAt"]).IsZero() {
		t.Errorf("running state %v (created %v)", st, created)
	}
	e.ok("stop", "-t", "0", "ins")
	st = e.state("ins")
	if st["Status"] != "exited" || st["ExitCode"].(float64) != 137 || parseTime(t, st["FinishedAt"]).Before(started) {
		t.Errorf("stopped state %v", st)
	}
}

func parseTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %v: %v", v, err)
	}
	return tm
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestImagesRmiImport(t *testing.T) {
	e := newEnv(t)
	out := e.ok("images")
	if !strings.Contains(out, "REPOSITORY") || !strings.Contains(out, "busybox") {
		t.Fatalf("images: %q", out)
	}
	e.ok("import", busyboxTar(t), "copy")
	if !strings.Contains(e.ok("images"), "copy") {
		t.Fatal("imported image not listed")
	}
	e.ok("run", "--name", "user", "copy", "true")
	r := e.run(125, "rmi", "copy")
	if !strings.Contains(r.stderr, "user") {
		t.Fatalf("rmi of used image: %q", r.stderr)
	}
	e.ok("rmi", "-f", "copy")
	if strings.Contains(e.ok("images"), "copy") {
		t.Fatal("rmi -f left the image")
	}
	e.run(125, "import", "/etc/hostname", "bad")
	e.run(125, "rmi", "nosuchimage")
}

// Many mydocker processes at once: a name is granted to exactly one, and
// every container gets its own record and workspace.
func TestParallelRuns(t *testing.T) {
	e := newEnv(t)
	const n = 8
	codes := make(chan int, n)
	for i := 0; i < n; i++ {
		go func() {
			r, err := e.exec(nil, "run", "-d", "--name", "same", "busybox", "sleep", "1000")
			if err != nil {
				t.Error(err)
			}
			codes <- r.code
		}()
	}
	won := 0
	for i := 0; i < n; i++ {
		if <-codes == 0 {
			won++
		}
	}
	if won != 1 {
		t.Fatalf("%d runs got the name, want 1", won)
	}
	done := make(chan string, n)
	for i := 0; i < n; i++ {
		go func() {
			r, _ := e.exec(nil, "run", "busybox", "sh", "-c", "echo $(hostname)")
			done <- strings.TrimSpace(r.stdout)
		}()
	}
	hosts := map[string]bool{}
	for i := 0; i < n; i++ {
		hosts[<-done] = true
	}
	if len(hosts) != n || len(e.containerIDs()) != n+1 {
		t.Fatalf("parallel runs: %d distinct hostnames, %d records", len(hosts), len(e.containerIDs()))
	}
}

// commit of a stopped container: its writable layer becomes the image's
// top layer, nothing is left mounted, and links are kept as links, never
// followed to the host.
func TestCommitStoppedContainer(t *testing.T) {
	e := newEnv(t)
	vol := t.TempDir()
	e.ok("run", "--name", "src", "-v", vol+":/data", "busybox", "sh", "-c",
		"echo saved > /saved.txt; echo in-volume > /data/v.txt; ln -s /etc/hostname /host-link; ln -s ../../../../../etc/passwd /up-link")
	e.ok("commit", "src", "snap")
	if m := mountsUnder(t, e.root); len(m) > 0 {
		t.Fatalf("commit left mounts: %v", m)
	}
	// snap.tar is a docker-archive; its last layer is the container's.
	tr := lastLayer(t, filepath.Join(e.root, "image", "snap.tar"))
	links := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeSymlink {
			links[h.Name] = h.Linkname
		}
		if strings.HasPrefix(h.Name, "data/") && h.Name != "data/" { // the mount point itself stays, empty
			t.Errorf("volume content %s committed", h.Name)
		}
	}
	if links["host-link"] != "/etc/hostname" || links["up-link"] != "../../../../../etc/passwd" {
		t.Fatalf("links not kept as links: %v", links)
	}
	out := e.ok("run", "--rm", "snap", "sh", "-c", "cat /saved.txt; ls /data 2>/dev/null | wc -l")
	if out != "saved\n0" {
		t.Fatalf("committed image: %q", out)
	}
}

// lastLayer opens the top layer of the first image in a docker-archive.
func lastLayer(t *testing.T, archive string) *tar.Reader {
	t.Helper()
	var manifest []struct{ Layers []string }
	if err := json.Unmarshal(readInTar(t, archive, "manifest.json"), &manifest); err != nil || len(manifest) == 0 {
		t.Fatalf("%s: manifest.json: %v", archive, err)
	}
	layers := manifest[0].Layers
	return tar.NewReader(bytes.NewReader(readInTar(t, archive, layers[len(layers)-1])))
}

func readInTar(t *testing.T, archive, name string) []byte {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s has no %s: %v", archive, name, err)
		}
		if h.Name == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}
