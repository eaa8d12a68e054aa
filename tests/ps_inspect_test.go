package tests

// ps, inspect and --format as Docker's: what scripts written for docker
// read of them, and the bad inputs they must refuse in one line.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// lines splits output into its lines, none for empty output.
func lines(out string) []string {
	out = strings.TrimRight(out, "\n")
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// waitExited waits until container ref has exited.
func (e *env) waitExited(ref string) {
	e.t.Helper()
	waitFor(e.t, ref+" to exit", func() bool {
		return e.ok("inspect", "-f", "{{.State.Status}}", ref) == "exited"
	})
}

// assertRefused checks a refused command: exit 125, nothing on stdout
// (but the empty JSON array inspect prints as Docker's), one line on
// stderr containing want.
func assertRefused(t *testing.T, r result, want string) {
	t.Helper()
	if r.stdout != "" && r.stdout != "[]\n" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("stdout %q stderr %q, want one line with %q", r.stdout, r.stderr, want)
	}
}

func TestPsRunningUnlessAll(t *testing.T) {
	e := newEnv(t)
	up := e.ok("run", "-d", "--name", "up", "busybox", "sleep", "1000")
	done := e.ok("run", "-d", "--name", "done", "busybox", "true")
	e.waitExited(done)
	if got := e.ok("ps", "-q"); got != up[:12] {
		t.Errorf("ps -q = %q, want only the running %s", got, up[:12])
	}
	// Newest first, as Docker lists them.
	if got := lines(e.ok("ps", "-aq")); !reflect.DeepEqual(got, []string{done[:12], up[:12]}) {
		t.Errorf("ps -aq = %q", got)
	}
	if got := lines(e.ok("ps", "-a", "-q", "--no-trunc")); !reflect.DeepEqual(got, []string{done, up}) {
		t.Errorf("ps -a -q --no-trunc = %q", got)
	}
	// -n and -l: the last created, whatever their state.
	for _, args := range [][]string{{"-n", "1"}, {"--last", "1"}, {"-l"}, {"--latest"}} {
		if got := e.ok(append(append([]string{"ps"}, args...), "--format", "{{.Names}}")...); got != "done" {
			t.Errorf("ps %v = %q, want done", args, got)
		}
	}
	if got := e.ok("ps", "-lq"); got != done[:12] {
		t.Errorf("ps -lq = %q", got)
	}
	if got := lines(e.ok("ps", "-n", "2", "--format", "{{.Names}}")); !reflect.DeepEqual(got, []string{"done", "up"}) {
		t.Errorf("ps -n 2 = %q", got)
	}
	if got := e.ok("ps", "-n", "5", "-q", "--filter", "status=running"); got != up[:12] {
		t.Errorf("ps -n 5 --filter status=running = %q", got)
	}
	// The blog's columns, Docker's STATUS words.
	rows := psRows(t, e.ok("ps", "-a"))
	if len(rows) != 2 || rows[0][1] != "done" || !strings.HasPrefix(rows[0][4], "Exited (0) ") || !strings.HasSuffix(rows[0][4], " ago") ||
		rows[0][3] != "" || rows[1][1] != "up" || !strings.HasPrefix(rows[1][4], "Up ") || rows[1][3] == "" {
		t.Errorf("ps -a rows %q", rows)
	}
}

func TestPsStatusPausedAndPorts(t *testing.T) {
	e := newEnv(t)
	netw, _ := e.createNetwork(24)
	hp1, hp2 := freePort(t), freePort(t)
	id := e.ok("run", "-d", "--name", "srv", "--network", netw, "-p", fmt.Sprintf("%d:80", hp1),
		"-p", fmt.Sprintf("127.0.0.1:%d:81/udp", hp2), "busybox", "sleep", "1000")
	want := fmt.Sprintf("0.0.0.0:%d->80/tcp, 127.0.0.1:%d->81/udp", hp1, hp2)
	if got := e.ok("ps", "--format", "{{.Ports}}"); got != want {
		t.Errorf("{{.Ports}} = %q, want %q", got, want)
	}
	rows := psRows(t, e.ok("ps"))
	if len(rows) != 1 || rows[0][7] != want || !strings.HasPrefix(rows[0][4], "Up ") {
		t.Errorf("ps rows %q, want PORTS %q", rows, want)
	}
	if got := e.ok("ps", "--format", "{{.Networks}}"); got != netw {
		t.Errorf("{{.Networks}} = %q, want %q", got, netw)
	}
	e.ok("pause", "srv")
	st := e.ok("ps", "--format", "{{.State}}|{{.Status}}")
	if !strings.HasPrefix(st, "paused|Up ") || !strings.HasSuffix(st, " (Paused)") {
		t.Errorf("paused: %q", st)
	}
	if got := e.ok("ps", "-q", "--filter", "status=paused"); got != id[:12] {
		t.Errorf("status=paused: %q", got)
	}
	if got := e.ok("ps", "-q", "--filter", "status=running"); got != "" {
		t.Errorf("status=running lists a paused container: %q", got)
	}
	e.ok("unpause", "srv")
	e.ok("stop", "-t", "0", "srv")
	// Stopped: no ports, as Docker shows it.
	if got := e.ok("ps", "-a", "--format", "{{.Ports}}|{{.State}}|{{.Status}}"); !strings.HasPrefix(got, "|exited|Exited (137) ") {
		t.Errorf("stopped: %q", got)
	}
}

func TestPsFilters(t *testing.T) {
	e := newEnv(t)
	web := e.ok("run", "-d", "--name", "web-1", "-l", "tier=front", "-l", "env=prod", "busybox", "sleep", "1000")
	api := e.ok("run", "-d", "--name", "api-1", "-l", "tier=back", "busybox", "sleep", "1000")
	three := e.ok("run", "-d", "--name", "three", "busybox", "sh", "-c", "exit 3")
	zero := e.ok("run", "-d", "--name", "zero", "-l", "tier=front", "busybox", "true")
	e.waitExited(three)
	e.waitExited(zero)
	e.ok("commit", "web-1", "child-img")
	child := e.ok("run", "-d", "--name", "child", "child-img", "sleep", "1000")
	childImage := e.ok("inspect", "-f", "{{.Image}}", "child")
	busyboxID := e.ok("image", "inspect", "-f", "{{.Id}}", "busybox")
	_ = child
	tests := []struct {
		args []string
		want string // names, newest first
	}{
		{[]string{"-a"}, "child zero three api-1 web-1"},
		{[]string{}, "child api-1 web-1"},
		{[]string{"--filter", "status=exited"}, "zero three"}, // status implies -a
		{[]string{"--filter", "status=exited", "--filter", "status=running"}, "child zero three api-1 web-1"},
		{[]string{"--filter", "name=web"}, "web-1"},
		{[]string{"--filter", "name=-1$"}, "api-1 web-1"},
		{[]string{"-a", "--filter", "name=^/three$"}, "three"},
		{[]string{"-a", "--filter", "name=e", "--filter", "status=exited"}, "zero three"},
		{[]string{"--filter", "id=" + web[:6]}, "web-1"},
		{[]string{"--filter", "id=" + web[:6], "--filter", "id=" + api[:6]}, "api-1 web-1"},
		{[]string{"--filter", "id=" + web[1:8]}, ""}, // a prefix, not a substring
		{[]string{"-a", "--filter", "label=tier"}, "zero api-1 web-1"},
		{[]string{"-a", "--filter", "label=tier=front"}, "zero web-1"},
		{[]string{"-a", "--filter", "label=tier=front", "--filter", "label=env=prod"}, "web-1"},
		{[]string{"-a", "--filter", "exited=3"}, "three"},
		{[]string{"-a", "--filter", "exited=0", "--filter", "exited=3"}, "zero three"},
		{[]string{"--filter", "exited=3"}, ""},                                           // exited does not imply -a, as Docker
		{[]string{"-a", "--filter", "ancestor=busybox"}, "child zero three api-1 web-1"}, // child-img is built on busybox
		{[]string{"-a", "--filter", "ancestor=busybox:latest"}, "child zero three api-1 web-1"},
		{[]string{"-a", "--filter", "ancestor=child-img"}, "child"},
		{[]string{"-a", "--filter", "ancestor=" + strings.TrimPrefix(childImage, "sha256:")[:12]}, "child"},
		{[]string{"-a", "--filter", "ancestor=" + busyboxID}, "child zero three api-1 web-1"},
		{[]string{"-a", "--filter", "ancestor=no-such-image"}, ""},
		{[]string{"-a", "--filter", "ancestor=child-img", "--filter", "label=tier"}, ""},
		{[]string{"-a", "-f", "label=tier=back"}, "api-1"},
		{[]string{"-a", "--filter", "since=api-1"}, "child zero three"},
		{[]string{"-a", "--filter", "before=three"}, "api-1 web-1"},
		{[]string{"-a", "--filter", "since=" + web[:12], "--filter", "before=zero"}, "three api-1"},
		{[]string{"--filter", "since=web-1"}, "child api-1"},
	}
	for _, tt := range tests {
		got := strings.Join(lines(e.ok(append(append([]string{"ps"}, tt.args...), "--format", "{{.Names}}")...)), " ")
		if got != tt.want {
			t.Errorf("ps %q: %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestPsFormat(t *testing.T) {
	e := newEnv(t)
	id := e.ok("run", "-d", "--name", "fmt", "-l", "k=v", "-l", "a.b=c d", "busybox", "sh", "-c", "echo a long command line; sleep 1000")
	if got := e.ok("ps", "--format", `{{.ID}}\t{{.Names}}`); got != id[:12]+"\tfmt" {
		t.Errorf(`{{.ID}}\t{{.Names}} = %q`, got)
	}
	if got := e.ok("ps", "--no-trunc", "--format", "{{.ID}}"); got != id {
		t.Errorf("--no-trunc {{.ID}} = %q", got)
	}
	// Docker quotes the command and cuts it to 20 characters.
	if got := e.ok("ps", "--format", "{{.Command}}"); got != `"sh -c echo a long c…"` {
		t.Errorf("{{.Command}} = %q", got)
	}
	if got := e.ok("ps", "--no-trunc", "--format", "{{.Command}}"); got != `"sh -c echo a long command line; sleep 1000"` {
		t.Errorf("--no-trunc {{.Command}} = %q", got)
	}
	if got := e.ok("ps", "--format", `{{.Label "k"}}|{{.Label "a.b"}}|{{.Label "none"}}|{{.Labels}}`); got != "v|c d||a.b=c d,k=v" {
		t.Errorf("labels: %q", got)
	}
	if got := e.ok("ps", "--format", "{{.Image}} {{.State}} {{.Mounts}}|{{.Networks}}"); got != "busybox running |bridge" {
		t.Errorf("image, state: %q", got)
	}
	for field, pattern := range map[string]string{"{{.Status}}": "Up ", "{{.RunningFor}}": " ago", "{{.CreatedAt}}": " UTC"} {
		got := e.ok("ps", "--format", field)
		if !strings.Contains(got, pattern) {
			t.Errorf("%s = %q, want %q in it", field, got, pattern)
		}
	}
	created, err := time.ParseInLocation("2006-01-02 15:04:05 -0700 MST", e.ok("ps", "--format", "{{.CreatedAt}}"), time.UTC)
	if err != nil || time.Since(created) > time.Hour || time.Since(created) < -time.Minute {
		t.Errorf("{{.CreatedAt}}: %v %v", created, err)
	}
	// table: Docker's headers, aligned columns.
	out := lines(e.ok("ps", "--format", `table {{.ID}}\t{{.Names}}\t{{.Label "k"}}\t{{.State}}`))
	if len(out) != 2 || strings.Join(strings.Fields(out[0]), " ") != "CONTAINER ID NAMES LABEL STATE" ||
		strings.Join(strings.Fields(out[1]), " ") != id[:12]+" fmt v running" || strings.Index(out[0], "NAMES") != strings.Index(out[1], "fmt") {
		t.Errorf("table: %q", out)
	}
	out = lines(e.ok("ps", "--format", "table"))
	if len(out) != 2 || strings.Join(strings.Fields(out[0]), " ") != "CONTAINER ID IMAGE COMMAND CREATED STATUS PORTS NAMES" ||
		!strings.HasPrefix(out[1], id[:12]) || !strings.HasSuffix(out[1], "fmt") {
		t.Errorf("--format table: %q", out)
	}
	// A table with no containers still has its header.
	if out := lines(e.ok("ps", "--filter", "name=nothing", "--format", "table {{.Names}}")); len(out) != 1 || out[0] != "NAMES" {
		t.Errorf("empty table: %q", out)
	}
	// json: one object per line with Docker's keys.
	var row map[string]any
	if err := json.Unmarshal([]byte(e.ok("ps", "--format", "json")), &row); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range row {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range []string{"Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes", "Mounts", "Names", "Networks", "Ports", "RunningFor", "State", "Status"} {
		if _, ok := row[k]; !ok {
			t.Errorf("ps json lacks %s (has %v)", k, keys)
		}
	}
	if row["ID"] != id[:12] || row["Names"] != "fmt" || row["State"] != "running" || row["Labels"] != "a.b=c d,k=v" {
		t.Errorf("ps json %v", row)
	}
	// Template functions.
	if got := e.ok("ps", "--format", `{{upper .Names}} {{lower "AB"}} {{title "x y"}} {{join (split "a:b" ":") "+"}} {{json .Names}}`); got != `FMT ab X Y a+b "fmt"` {
		t.Errorf("functions: %q", got)
	}
}

func TestPsBadInputs(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "x", "busybox", "sleep", "1000")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--filter", "bogus=1"}, `"bogus=1"`},
		{[]string{"--filter", "status"}, `"status"`},
		{[]string{"--filter", "status=up"}, `"status=up"`},
		{[]string{"--filter", "name=["}, `"name=["`},
		{[]string{"--filter", "exited=x"}, `"exited=x"`},
		{[]string{"--filter", "label="}, `"label="`},
		{[]string{"--filter", "before=nosuch"}, "no such container: nosuch"},
		{[]string{"--filter", "since="}, `"since="`},
		{[]string{"--format", "{{.Nope}}"}, ".Nope"},
		{[]string{"--format", "{{.Names"}, "unclosed action"},
		{[]string{"--format", "table {{.Names}}\t{{nofunc .Names}}"}, `"nofunc" not defined`},
		{[]string{"--format", `{{.Label}}`}, ".Label"},
		{[]string{"-n", "x"}, "-n"},
		{[]string{"stray"}, `"stray"`},
	} {
		code := 125
		if strings.Contains(tt.want, "no such container") {
			code = 1 // as Docker's CLI
		}
		assertRefused(t, e.run(code, append([]string{"ps"}, tt.args...)...), tt.want)
	}
}

func TestInspectDockerSchema(t *testing.T) {
	e := newEnv(t)
	netw, _ := e.createNetwork(24)
	vol := t.TempDir()
	hp := freePort(t)
	id := e.ok("run", "-d", "--name", "schema", "--network", netw, "-p", fmt.Sprintf("%d:80", hp),
		"-e", "A=1", "-v", vol+":/data:ro", "-l", "app=x", "-w", "/tmp", "--hostname", "box",
		"-m", "32m", "--cpus", "0.5", "--pids-limit", "50", "--cpu-shares", "512", "busybox", "sleep", "1000")
	var raw []map[string]json.RawMessage
	out := e.ok("inspect", "schema")
	if err := json.Unmarshal([]byte(out), &raw); err != nil || len(raw) != 1 {
		t.Fatalf("inspect: %v", err)
	}
	v := e.inspect("schema")
	get := func(path string) any {
		var cur any = v
		for _, k := range strings.Split(path, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				t.Errorf("%s: %v is not an object", path, cur)
				return nil
			}
			if cur, ok = m[k]; !ok {
				t.Errorf("inspect lacks %s", path)
				return nil
			}
		}
		return cur
	}
	eq := func(path string, want any) {
		t.Helper()
		if got := get(path); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", path, got, want)
		}
	}
	imageID := e.ok("image", "inspect", "-f", "{{.Id}}", "busybox")
	netID := e.ok("network", "inspect", "-f", "{{.Id}}", netw)
	eq("Id", id)
	eq("Name", "/schema")
	eq("Image", imageID)
	eq("Path", "sleep")
	eq("Args", []any{"1000"})
	parseTime(t, get("Created"))
	eq("State.Status", "running")
	eq("State.Running", true)
	eq("State.Paused", false)
	eq("State.OOMKilled", false)
	eq("State.ExitCode", float64(0))
	pid := int(get("State.Pid").(float64))
	if cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err != nil || string(cmd) != "sleep\x001000\x00" {
		t.Errorf("State.Pid %d runs %q (%v)", pid, cmd, err)
	}
	parseTime(t, get("State.StartedAt"))
	if !strings.Contains(string(raw[0]["State"]), `"FinishedAt": "0001-01-01T00:00:00Z"`) && !strings.Contains(string(raw[0]["State"]), `"FinishedAt":"0001-01-01T00:00:00Z"`) {
		t.Errorf("zero FinishedAt not Docker's: %s", raw[0]["State"])
	}
	eq("Config.Cmd", []any{"sleep", "1000"})
	eq("Config.Entrypoint", nil)
	if env := mustJSON(get("Config.Env")); !strings.Contains(env, `"A=1"`) {
		t.Errorf("Config.Env %s", env)
	}
	eq("Config.Image", "busybox")
	eq("Config.Labels", map[string]any{"app": "x"})
	eq("Config.WorkingDir", "/tmp")
	eq("Config.User", "")
	eq("Config.Hostname", "box")
	eq("Config.Tty", false)
	eq("Config.OpenStdin", false)
	eq("Mounts", []any{map[string]any{"Type": "bind", "Source": vol, "Destination": "/data", "Mode": "ro", "RW": false, "Propagation": "rprivate"}})
	ip := get("NetworkSettings.IPAddress").(string)
	gw := get("NetworkSettings.Gateway").(string)
	if ip == "" || gw == "" || get("NetworkSettings.MacAddress") == "" {
		t.Errorf("NetworkSettings %v", get("NetworkSettings"))
	}
	e.run(0, "exec", "schema", "sh", "-c", "ip addr show eth0 | grep -q 'inet "+ip+"/24'")
	eq("NetworkSettings.IPPrefixLen", float64(24))
	eq("NetworkSettings.Ports", map[string]any{"80/tcp": []any{map[string]any{"HostIp": "0.0.0.0", "HostPort": strconv.Itoa(hp)}}})
	eq("NetworkSettings.Networks."+netw+".IPAddress", ip)
	eq("NetworkSettings.Networks."+netw+".Gateway", gw)
	eq("NetworkSettings.Networks."+netw+".IPPrefixLen", float64(24))
	eq("NetworkSettings.Networks."+netw+".MacAddress", get("NetworkSettings.MacAddress"))
	eq("NetworkSettings.Networks."+netw+".NetworkID", netID)
	eq("HostConfig.Memory", float64(32<<20))
	eq("HostConfig.MemorySwap", float64(64<<20))
	eq("HostConfig.NanoCpus", float64(5e8))
	eq("HostConfig.CpuQuota", float64(50000))
	eq("HostConfig.CpuPeriod", float64(100000))
	eq("HostConfig.CpuShares", float64(512))
	eq("HostConfig.CpusetCpus", "")
	eq("HostConfig.PidsLimit", float64(50))
	eq("HostConfig.Binds", []any{vol + ":/data:ro"})
	eq("HostConfig.NetworkMode", netw)
	eq("HostConfig.PortBindings", map[string]any{"80/tcp": []any{map[string]any{"HostIp": "", "HostPort": strconv.Itoa(hp)}}})
	eq("HostConfig.Privileged", false)
	eq("HostConfig.CapAdd", nil)
	eq("HostConfig.CapDrop", nil)
	eq("HostConfig.AutoRemove", false)
	eq("HostConfig.RestartPolicy.Name", "no")
	// The network lists the container while it runs.
	members := e.ok("network", "inspect", "-f", "{{json .Containers}}", netw)
	if !strings.Contains(members, `"`+id+`"`) || !strings.Contains(members, `"IPv4Address":"`+ip+`/24"`) || !strings.Contains(members, `"Name":"schema"`) {
		t.Errorf("network inspect Containers %s", members)
	}

	// Stopped: Pid 0, the exit, no address; the network stays named.
	e.ok("stop", "-t", "0", "schema")
	v = e.inspect("schema")
	eq("State.Status", "exited")
	eq("State.Running", false)
	eq("State.Pid", float64(0))
	eq("State.ExitCode", float64(137))
	if !parseTime(t, get("State.FinishedAt")).After(parseTime(t, get("State.StartedAt"))) {
		t.Errorf("FinishedAt %v before StartedAt %v", get("State.FinishedAt"), get("State.StartedAt"))
	}
	eq("NetworkSettings.IPAddress", "")
	eq("NetworkSettings.Ports", map[string]any{})
	eq("NetworkSettings.Networks."+netw+".IPAddress", "")
	if members := e.ok("network", "inspect", "-f", "{{len .Containers}}", netw); members != "0" {
		t.Errorf("a stopped container is still a member: %s", members)
	}
}

func TestInspectFormat(t *testing.T) {
	e := newEnv(t)
	netw, subnet := e.createNetwork(24)
	a := e.ok("run", "-d", "--name", "fa", "--network", netw, "-l", "k=v", "busybox", "sleep", "1000")
	b := e.ok("run", "-d", "--name", "fb", "busybox", "sh", "-c", "exit 5")
	e.waitExited(b)
	pid := e.ok("ps", "--filter", "name=fa", "--format", "{{.Pid}}")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"inspect", "-f", "{{.State.Pid}}", "fa"}, pid},
		{[]string{"inspect", "--format", "{{.Name}} {{.Id}}", "fa"}, "/fa " + a},
		{[]string{"inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.State.Pid}} {{.State.Running}}", "fa", "fb"}, "running 0 " + pid + " true\nexited 5 0 false"},
		{[]string{"inspect", "-f", "{{json .Config.Labels}}", "fa"}, `{"k":"v"}`},
		{[]string{"inspect", "-f", "{{json .Config.Cmd}}", "fb"}, `["sh","-c","exit 5"]`},
		{[]string{"inspect", "-f", `{{join .Args " "}}`, "fb"}, "-c exit 5"},
		{[]string{"inspect", "-f", "{{upper .State.Status}} {{lower .Config.Image}} {{title .State.Status}}", "fa"}, "RUNNING busybox Running"},
		{[]string{"inspect", "-f", `{{index (split .Config.Image ":") 0}}`, "fa"}, "busybox"},
		{[]string{"inspect", "-f", "{{println .Name}}", "fa"}, "/fa\n"},
		{[]string{"inspect", "-f", `{{index .Config.Labels "k"}}`, "fa"}, "v"},
		{[]string{"inspect", "-f", "{{.Config.Labels.k}}", "fa"}, "v"},
		{[]string{"inspect", "-f", "{{.Id}} {{if gt .State.Pid 0}}live{{end}}", "fa"}, a + " live"},
		{[]string{"inspect", "-f", "{{.ID}}", "fa"}, a},
		{[]string{"inspect", "-f", "{{range $n, $c := .NetworkSettings.Networks}}{{$n}}{{end}}", "fa"}, netw},
		{[]string{"inspect", "-f", "{{.Os}}", "busybox"}, "linux"},
		{[]string{"inspect", "--type", "network", "-f", "{{.Name}} {{.Driver}}", netw}, netw + " bridge"},
		{[]string{"image", "inspect", "-f", "{{.Os}} {{len .RootFS.Layers}}", "busybox"}, "linux 1"},
		{[]string{"network", "inspect", "-f", "{{.Name}} {{range .IPAM.Config}}{{.Subnet}}{{end}} {{.Driver}} {{.Scope}}", netw}, netw + " " + subnet + " bridge local"},
		{[]string{"network", "inspect", "--format", "{{range .Containers}}{{.Name}}{{end}}", netw}, "fa"},
	}
	for _, tt := range tests {
		if got := strings.TrimSuffix(e.run(0, tt.args...).stdout, "\n"); got != tt.want {
			t.Errorf("%q = %q, want %q", tt.args, got, tt.want)
		}
	}
	// Without --format: JSON arrays, for networks too.
	var nets []struct {
		Name, Id, Driver string
		IPAM             struct {
			Config []struct{ Subnet, Gateway string }
		}
		Containers map[string]struct{ Name, IPv4Address string }
	}
	if err := json.Unmarshal([]byte(e.ok("network", "inspect", netw)), &nets); err != nil || len(nets) != 1 {
		t.Fatalf("network inspect: %v", err)
	}
	if n := nets[0]; n.Name != netw || len(n.Id) != 64 || n.IPAM.Config[0].Subnet != subnet || n.Containers[a].Name != "fa" {
		t.Errorf("network inspect %+v", n)
	}
}

func TestInspectFormatErrors(t *testing.T) {
	e := newEnv(t)
	netw, _ := e.createNetwork(24)
	e.ok("run", "-d", "--name", "fe", "busybox", "sleep", "1000")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"inspect", "-f", "{{.Nope}}", "fe"}, ".Nope"},
		{[]string{"inspect", "-f", "{{.State.Pid", "fe"}, "unclosed action"},
		{[]string{"inspect", "-f", "{{nofunc .Id}}", "fe"}, `"nofunc" not defined`},
		{[]string{"inspect", "-f", "{{json}}", "fe"}, "json"},
		{[]string{"inspect", "-f", "table {{.Id}}", "fe"}, "table"},
		{[]string{"inspect", "-f", "{{.State.Nope}}", "fe", "fe"}, ".Nope"},
		{[]string{"image", "inspect", "-f", "{{.Nope}}", "busybox"}, ".Nope"},
		{[]string{"image", "inspect", "--format", "{{", "busybox"}, "unclosed action"},
		{[]string{"network", "inspect", "-f", "{{.Nope}}", netw}, ".Nope"},
		{[]string{"network", "inspect", "nosuchnet"}, "no such network: nosuchnet"},
		{[]string{"network", "inspect"}, "requires"},
		{[]string{"inspect", "--type", "bogus", "fe"}, "bogus"},
		{[]string{"inspect", "--type", "network", "fe"}, "no such network"},
		{[]string{"inspect", "no-such-thing"}, "no such object: no-such-thing"},
	} {
		code := 125
		if strings.Contains(tt.want, "no such object") {
			code = 1 // as Docker's CLI
		}
		assertRefused(t, e.run(code, tt.args...), tt.want)
	}
	// What is found is printed even when another argument is not, as Docker.
	r := e.run(1, "inspect", "-f", "{{.Name}}", "fe", "nothing-here")
	if r.stdout != "/fe\n" || !strings.Contains(r.stderr, "nothing-here") {
		t.Errorf("partial inspect: stdout %q stderr %q", r.stdout, r.stderr)
	}
}

func TestLabels(t *testing.T) {
	e := newEnv(t)
	e.loadImage("labelled", v1.Config{Cmd: []string{"sleep", "1000"}, Labels: map[string]string{"from": "image", "both": "image"}})
	file := filepath.Join(t.TempDir(), "labels")
	if err := os.WriteFile(file, []byte("# comment\n\nfile=yes\nboth=file\nbare\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.ok("run", "-d", "--name", "lab", "--label-file", file, "-l", "both=cli", "--label", "cli=1", "-l", "empty", "labelled")
	var got map[string]string
	if err := json.Unmarshal([]byte(e.ok("inspect", "-f", "{{json .Config.Labels}}", "lab")), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"from": "image", "both": "cli", "file": "yes", "bare": "", "cli": "1", "empty": ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("labels %v, want %v", got, want)
	}
	if got := e.ok("ps", "--filter", "label=from=image", "--filter", "label=bare", "--format", "{{.Names}}"); got != "lab" {
		t.Errorf("ps --filter label: %q", got)
	}
	// A container without labels shows {}, as Docker.
	e.ok("run", "-d", "--name", "plain", "busybox", "sleep", "1000")
	if got := e.ok("inspect", "-f", "{{json .Config.Labels}}", "plain"); got != "{}" {
		t.Errorf("no labels: %s", got)
	}
	e.ok("rm", "-f", "lab", "plain")
	e.assertNothingLeft()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-l", "=v"}, "empty name"},
		{[]string{"--label", "a b=c"}, "whitespace"},
		{[]string{"-l", ""}, "empty name"},
		{[]string{"--label-file", "/nonexistent/labels"}, "--label-file"},
	} {
		args := append(append([]string{"run", "-d"}, tt.args...), "busybox", "true")
		assertRefused(t, e.run(125, args...), tt.want)
		e.assertNothingLeft()
	}
}

// jsonKind is the JSON type of v: object, array, string, number, bool or
// null.
func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	}
	return "null"
}

// lookup follows a dotted path in decoded JSON.
func lookup(v any, path string) (any, bool) {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// TestInspectShapesMatchPodman runs the same container here and in
// podman (runc, storage private to the test) and checks that every field
// scripts read is there with the same JSON type, and the same value where
// both tools agree with Docker.
func TestInspectShapesMatchPodman(t *testing.T) {
	e := newEnv(t)
	p := newPodman(t)
	archive := filepath.Join(t.TempDir(), "busybox.tar")
	e.ok("save", "-o", archive, "busybox")
	ref := p.load(archive)
	vol := t.TempDir()
	args := []string{"-d", "--name", "shape", "-e", "A=1", "-v", vol + ":/data:ro", "-l", "app=x", "-w", "/tmp",
		"--hostname", "box", "-m", "32m", "--cpus", "0.5", "--pids-limit", "50"}
	e.ok(append(append([]string{"run"}, args...), "busybox", "sleep", "1000")...)
	p.run(append(append([]string{"run", "--network", "none", "--cgroup-parent", p.cgroupParent}, args...), ref, "sleep", "1000")...)
	var ours, theirs []any
	if err := json.Unmarshal([]byte(e.ok("inspect", "shape")), &ours); err != nil || len(ours) != 1 {
		t.Fatalf("inspect: %v", err)
	}
	if err := json.Unmarshal([]byte(p.run("inspect", "--type", "container", "shape")), &theirs); err != nil || len(theirs) != 1 {
		t.Fatalf("podman inspect: %v", err)
	}
	// null is allowed where the other has a list or an object: both
	// tools write null for an empty one in places.
	shapes := []string{
		"Id", "Created", "Path", "Args", "Image", "Name",
		"State.Status", "State.Running", "State.Paused", "State.Pid", "State.ExitCode", "State.OOMKilled",
		"State.StartedAt", "State.FinishedAt",
		"Config.Cmd", "Config.Entrypoint", "Config.Env", "Config.Image", "Config.Labels", "Config.WorkingDir",
		"Config.User", "Config.Hostname", "Config.Tty", "Config.OpenStdin",
		"Mounts", "NetworkSettings.IPAddress", "NetworkSettings.Gateway", "NetworkSettings.MacAddress",
		"NetworkSettings.Ports", // (podman omits Networks with --network none)
		"HostConfig.Memory", "HostConfig.MemorySwap", "HostConfig.NanoCpus", "HostConfig.CpuShares",
		"HostConfig.CpuQuota", "HostConfig.CpuPeriod", "HostConfig.CpusetCpus", "HostConfig.PidsLimit",
		"HostConfig.Binds", "HostConfig.NetworkMode", "HostConfig.PortBindings", "HostConfig.Privileged",
		"HostConfig.CapAdd", "HostConfig.CapDrop", "HostConfig.AutoRemove", "HostConfig.RestartPolicy",
	}
	for _, path := range shapes {
		a, okA := lookup(ours[0], path)
		b, okB := lookup(theirs[0], path)
		if !okA || !okB {
			t.Errorf("%s: ours present %v, podman's present %v", path, okA, okB)
			continue
		}
		ka, kb := jsonKind(a), jsonKind(b)
		if ka != kb && ka != "null" && kb != "null" {
			t.Errorf("%s: ours is a %s (%v), podman's a %s (%v)", path, ka, a, kb, b)
		}
	}
	for _, path := range []string{"Created", "State.StartedAt", "State.FinishedAt"} {
		a, _ := lookup(ours[0], path)
		b, _ := lookup(theirs[0], path)
		parseTime(t, a)
		parseTime(t, b)
	}
	same := []string{
		"Path", "Args", "State.Status", "State.Running", "State.Paused", "State.ExitCode", "State.OOMKilled",
		"Config.Cmd", "Config.WorkingDir", "Config.Hostname", "Config.Tty", "Config.OpenStdin",
		"HostConfig.Memory", "HostConfig.NanoCpus", "HostConfig.PidsLimit", "HostConfig.Privileged", "HostConfig.AutoRemove",
	} // (RestartPolicy.Name: Docker's "no" here, podman's "")
	for _, path := range same {
		a, _ := lookup(ours[0], path)
		b, _ := lookup(theirs[0], path)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: ours %#v, podman's %#v", path, a, b)
		}
	}
	if l, _ := lookup(theirs[0], "Config.Labels.app"); l != "x" {
		t.Errorf("podman's label: %v", l)
	}
	if l, _ := lookup(ours[0], "Config.Labels.app"); l != "x" {
		t.Errorf("our label: %v", l)
	}
	// One mount, the same bind, read-only, in both.
	for who, doc := range map[string]any{"ours": ours[0], "podman's": theirs[0]} {
		m, _ := lookup(doc, "Mounts")
		ms, _ := m.([]any)
		if len(ms) != 1 {
			t.Errorf("%s Mounts %v", who, m)
			continue
		}
		mp := ms[0].(map[string]any)
		if mp["Type"] != "bind" || mp["Source"] != vol || mp["Destination"] != "/data" || mp["RW"] != false {
			t.Errorf("%s mount %v", who, mp)
		}
		for _, path := range []string{"State.Pid"} {
			if pid, _ := lookup(doc, path); pid == float64(0) {
				t.Errorf("%s %s is 0 while running", who, path)
			}
		}
	}
	// The same template gives the same answer from both.
	tmpl := `{{.State.Status}} {{.State.Running}} {{json .Config.Cmd}} {{.Config.WorkingDir}} {{index .Config.Labels "app"}} {{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}`
	if a, b := e.ok("inspect", "-f", tmpl, "shape"), strings.TrimSpace(p.run("inspect", "--type", "container", "-f", tmpl, "shape")); a != b {
		t.Errorf("template %q: ours %q, podman's %q", tmpl, a, b)
	}
	// podman's conmon outlives rm by a moment, writing under podman's
	// directory: wait for it, so the cleanup can remove that directory.
	p.run("rm", "-f", "-t", "0", "shape")
	waitFor(t, "podman's processes to exit", func() bool { return !processUses(p.dir) })
}

// processUses reports whether a process has dir in its command line.
func processUses(dir string) bool {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range procs {
		if data, err := os.ReadFile(f); err == nil && strings.Contains(string(data), dir) {
			return true
		}
	}
	return false
}
