package tests

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// `-it` with a pipe as stdin is refused at once, as Docker refuses it,
// instead of waiting for keystrokes that never come (it hung, and only
// SIGKILL ended it, leaving the --rm container behind). -i alone pipes.
func TestTerminalFlagsNeedATerminal(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{
		{"run", "-it", "busybox", "sh"},
		{"run", "--rm", "-i", "-t", "busybox", "sh"},
		{"run", "-ti", "--name", "x", "busybox", "sh"},
	} {
		r := e.runIn([]byte("echo hi\n"), 125, args...)
		oneLine(t, r, "the input device is not a TTY")
		if r.stdout != "" {
			t.Fatalf("%q printed %q", args, r.stdout)
		}
		e.assertNothingLeft()
	}
	if r := e.runIn([]byte("echo hi\n"), 0, "run", "--rm", "-i", "busybox", "sh"); r.stdout != "hi\n" {
		t.Fatalf("run -i with a pipe: %q", r.stdout)
	}
	// Detached, there is nothing to read: -dit is fine.
	id := e.ok("run", "-dit", "--name", "bg", "busybox", "sh")
	r := e.runIn([]byte("echo hi\n"), 125, "exec", "-it", id, "sh")
	oneLine(t, r, "the input device is not a TTY")
	if r := e.runIn([]byte("echo piped\n"), 0, "exec", "-i", id, "sh"); r.stdout != "piped\n" {
		t.Fatalf("exec -i with a pipe: %q", r.stdout)
	}
	e.ok("rm", "-f", id)

	// Course mode takes the pipe as -i, says so in one line, and still
	// removes the -it container when it ends, as the series expects.
	e.extraEnv = []string{"MYDOCKER_MODE=course", "MYDOCKER_TRACE=0"}
	r = e.runIn([]byte("echo hi\n"), 0, "run", "-it", "/bin/sh")
	if r.stdout != "hi\n" {
		t.Fatalf("course mode run -it with a pipe: %q", r.stdout)
	}
	oneLine(t, r, "running with -i only (course mode)")
	e.assertNothingLeft()
}

// nobodyBinary copies mydocker where any user can run it.
func nobodyBinary(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mydocker-nobody-") // t.TempDir's parent is root's alone
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "mydocker")
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// asNobody runs mydocker as uid/gid 65534 with root's state root.
func asNobody(t *testing.T, bin, root string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	c := exec.Command(bin, args...)
	c.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "MYDOCKER_ROOT=" + root}
	c.Dir = "/"
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %q as nobody: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// A user without root gets one line saying so and a failing exit from
// every command that needs root's state, listings included (an empty
// table with exit 0 looked like "no containers"); help, version and
// completion work for anyone.
func TestNonRootIsToldItNeedsRoot(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "--name", "there", "busybox", "true")
	bin := nobodyBinary(t)
	for _, args := range [][]string{
		{"ps"}, {"ps", "-a"}, {"images"}, {"network", "ls"}, {"volume", "ls"}, {"inspect", "there"},
		{"logs", "there"}, {"run", "busybox", "true"}, {"system", "df"}, {"image", "ls"},
	} {
		out, errOut, code := asNobody(t, bin, e.root, args...)
		if code == 0 || out != "" {
			t.Errorf("%q as nobody: exit %d, stdout %q", args, code, out)
			continue
		}
		oneLine(t, result{stderr: errOut}, args[0]+" needs root")
	}
	for _, args := range [][]string{{"version"}, {"--help"}, {"ps", "--help"}, {"help", "run"}, {"completion", "bash"}, {"--version"}} {
		out, errOut, code := asNobody(t, bin, e.root, args...)
		if code != 0 || out == "" || errOut != "" {
			t.Errorf("%q as nobody: exit %d, stdout %d bytes, stderr %q", args, code, len(out), errOut)
		}
	}
}

// run's help shows the series' one-dash spellings beside Docker's, with
// the flags in Docker's groups.
func TestRunHelpShowsBothSpellingsGrouped(t *testing.T) {
	e := newEnv(t)
	help := e.ok("run", "--help")
	for _, want := range []string{
		"\n   -it ", "--name, -name VALUE", "-m, --memory, --mem, -mem VALUE", "--net, -net, --network VALUE",
		"-d, --detach", "-v, --volume VALUE",
		"\nRunning:\n", "\nResources (cgroups):\n", "\nNetwork:\n", "\nStorage:\n", "\nSecurity:\n", "\nHealth:\n",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("run --help lacks %q:\n%s", want, help)
		}
	}
	// Every flag run takes is in its help: the completion lists them.
	for _, f := range strings.Fields(e.ok("__complete", "run", "-")) {
		if f == "--it" {
			f = "-it" // the series' spelling, shown as typed
		}
		if !strings.Contains(help, f+",") && !strings.Contains(help, f+" ") {
			t.Errorf("run --help does not show %s", f)
		}
	}
	if strings.Contains(help, "Resources (cgroups):\n   --name") || strings.Index(help, "Network:") < strings.Index(help, "Running:") {
		t.Errorf("groups out of order:\n%s", help)
	}
	if create := e.ok("create", "--help"); !strings.Contains(create, "mydocker create") || !strings.Contains(create, "\nNetwork:\n") {
		t.Errorf("create --help:\n%s", create)
	}
}

// version names the release, the commit, Go, the kernel and the cgroup
// version of this host.
func TestVersion(t *testing.T) {
	e := newEnv(t)
	var v map[string]string
	if err := json.Unmarshal([]byte(e.ok("version", "--format", "json")), &v); err != nil {
		t.Fatal(err)
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	cg := "1"
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		cg = "2"
	}
	// The binary names the commit it was built from: this checkout's HEAD
	// when make test built it, or one before it if commits came since.
	// A tree that is no git checkout (a copy, as make mutate tests) is
	// built as "unknown", as the Makefile says.
	if exec.Command("git", "rev-parse", "--git-dir").Run() != nil {
		if v["GitCommit"] != "unknown" {
			t.Errorf("version GitCommit %q outside a git checkout, want unknown", v["GitCommit"])
		}
	} else if out, err := exec.Command("git", "merge-base", "--is-ancestor", v["GitCommit"], "HEAD").CombinedOutput(); err != nil || v["GitCommit"] == "" {
		t.Errorf("version GitCommit %q is not a commit of this checkout up to HEAD: %v %s", v["GitCommit"], err, out)
	}
	want := map[string]string{"KernelVersion": unix.ByteSliceToString(u.Release[:]), "CgroupVersion": cg,
		"Os": "linux", "Arch": "amd64"}
	for k, w := range want {
		if v[k] != w {
			t.Errorf("version %s = %q, want %q", k, v[k], w)
		}
	}
	if !strings.HasPrefix(v["GoVersion"], "go1.") || v["Version"] == "" {
		t.Errorf("version: %v", v)
	}
	table := e.ok("version")
	for _, k := range []string{"Version:", "Git commit:", "Go version:", "OS/Arch:", "Kernel:", "Cgroups:"} {
		if !strings.Contains(table, k) {
			t.Errorf("version lacks %s:\n%s", k, table)
		}
	}
	if got := e.ok("version", "-f", "{{.Version}}"); got != v["Version"] || !strings.Contains(e.ok("--version"), got) {
		t.Errorf("version -f {{.Version}} = %q, --version %q", got, e.ok("--version"))
	}
	oneLine(t, e.run(125, "version", "extra"), "takes no arguments")
}

// A mistyped command gets one line naming the nearest command, and
// errors read evenly: the flag as typed, one space, the valid values.
func TestMistypedCommandsGetASuggestion(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"rnu", "busybox"}, `unknown command "rnu": did you mean "run"? (see mydocker --help)`},
		{[]string{"imgaes"}, `did you mean "images"?`},
		{[]string{"help", "pss"}, `unknown command "pss": did you mean "ps"?`},
		{[]string{"network", "lss"}, `unknown command "lss": did you mean "ls"? (see mydocker network --help)`},
		{[]string{"volume", "rmm", "x"}, `did you mean "rm"? (see mydocker volume --help)`},
		{[]string{"frobnicate"}, `unknown command "frobnicate" (see mydocker --help)`},
		{[]string{"--bogus", "ps"}, "unknown flag --bogus (see mydocker --help)"},
		{[]string{"ps", "--bogus"}, "unknown flag --bogus (see mydocker ps --help)"},
		{[]string{"ps", "-bogus"}, "unknown flag -bogus (see mydocker ps --help)"},
		{[]string{"--log-level", "loud", "ps"}, `invalid --log-level "loud": use debug, info, warn or error`},
	} {
		r := e.run(125, c.args...)
		oneLine(t, r, c.want)
		if strings.Contains(r.stderr, "  ") || strings.Contains(r.stderr, "No help topic") {
			t.Errorf("%q: uneven error %q", c.args, r.stderr)
		}
	}
}

// ps shows each container's image, as Docker does, and cuts a long
// command line so a row stays one line; --no-trunc shows it whole.
func TestPsShowsImageAndCutsLongCommands(t *testing.T) {
	e := newEnv(t)
	long := "echo " + strings.Repeat("very-long-argument ", 8) + "; sleep 1000"
	id := e.ok("run", "-d", "--name", "chatty", "busybox", "sh", "-c", long)
	defer e.ok("rm", "-f", id)
	rows := psRows(t, e.ok("ps"))
	if len(rows) != 1 || rows[0][1] != "chatty" || rows[0][2] != "busybox" {
		t.Fatalf("ps rows: %q", rows)
	}
	if cmd := rows[0][5]; !strings.HasPrefix(cmd, `sh -c "echo very-long`) || !strings.HasSuffix(cmd, "…") || len([]rune(cmd)) != 30 {
		t.Errorf("ps COMMAND %q: want the first 30 characters, cut with …", cmd)
	}
	if full := e.ok("ps", "--no-trunc"); !strings.Contains(full, `sh -c "`+long+`"`) {
		t.Errorf("ps --no-trunc lacks the whole command:\n%s", full)
	}
}
