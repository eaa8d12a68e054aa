package spec

import (
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// entries splits an encoded plan the way nsexec.c reads it.
func entries(t *testing.T, data []byte) []string {
	t.Helper()
	if len(data) == 0 || data[len(data)-1] != 0 {
		t.Fatalf("plan does not end in a NUL: %q", data)
	}
	return strings.Split(string(data[:len(data)-1]), "\x00")
}

func TestExecPlanEncode(t *testing.T) {
	p := &ExecPlan{
		Build:   "abc-123",
		Args:    []string{"sh", "-c", "a=b; echo $a", "", "line\nbreak"},
		Env:     []string{"PATH=/bin", "X=1=2"},
		Cwd:     "/work dir",
		Path:    "/bin:",
		UID:     1000,
		GID:     100,
		Groups:  []int{10, 20},
		Rlimits: []Rlimit{{Type: unix.RLIMIT_NOFILE, Soft: 1024, Hard: 4096}},
		Caps:    1<<0 | 1<<21 | 1<<40,
		Seccomp: []unix.SockFilter{{Code: 0x20, Jt: 1, Jf: 2, K: 4}, {Code: 0x06, K: 0x7fff0000}},
		Tty:     true, ConsoleSize: &ConsoleSize{Rows: 24, Cols: 80},
	}
	data, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"plan=" + ExecPlanVersion, "build=abc-123", "cwd=/work dir", "path=/bin:", "uid=1000", "gid=100",
		"group=10", "group=20", "rlimit=7:1024:4096", "caps=1099513724929",
		// Each instruction: code (2 bytes), jt, jf, k (4 bytes), little endian.
		"seccomp=2000010204000000060000000000ff7f",
		"tty=1", "rows=24", "cols=80",
		"arg=sh", "arg=-c", "arg=a=b; echo $a", "arg=", "arg=line\nbreak",
		"env=PATH=/bin", "env=X=1=2",
	}
	got := entries(t, data)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("plan entries:\n got %q\nwant %q", got, want)
	}
}

func TestExecPlanEncodeMinimal(t *testing.T) {
	data, err := (&ExecPlan{Args: []string{"true"}, Cwd: "/", Path: "/bin"}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(entries(t, data), "|")
	// No groups, rlimits, filter or terminal: none of their keys.
	if want := "plan=1|build=|cwd=/|path=/bin|uid=0|gid=0|caps=0|arg=true"; got != want {
		t.Errorf("plan %q, want %q", got, want)
	}
}

func TestExecPlanEncodeRefuses(t *testing.T) {
	for name, p := range map[string]*ExecPlan{
		"no command":      {Cwd: "/", Path: "/bin"},
		"NUL in argument": {Args: []string{"echo", "a\x00b"}, Cwd: "/"},
		"NUL in env":      {Args: []string{"true"}, Env: []string{"A=\x00"}, Cwd: "/"},
		"NUL in cwd":      {Args: []string{"true"}, Cwd: "/a\x00"},
		"negative uid":    {Args: []string{"true"}, Cwd: "/", UID: -1},
		"negative group":  {Args: []string{"true"}, Cwd: "/", Groups: []int{-5}},
		"filter too long": {Args: []string{"true"}, Cwd: "/", Seccomp: make([]unix.SockFilter, 1<<16)},
	} {
		if _, err := p.Encode(); err == nil {
			t.Errorf("%s: encoded", name)
		}
	}
}

func TestFilterBytesRoundTrip(t *testing.T) {
	prog := []unix.SockFilter{{Code: 0x20, K: 4}, {Code: 0x15, Jt: 1, Jf: 2, K: 0xc000003e}, {Code: 0x06, K: 0x7fff0000}}
	got, ok := ParseFilterBytes(FilterBytes(prog))
	if !ok || !reflect.DeepEqual(got, prog) {
		t.Errorf("round trip: %v, %v", got, ok)
	}
	for _, bad := range [][]byte{nil, make([]byte, 7), make([]byte, 17)} {
		if _, ok := ParseFilterBytes(bad); ok {
			t.Errorf("%d bytes read as a filter", len(bad))
		}
	}
}

func TestSearchPath(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{nil, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		{[]string{"PATH=/a", "X=1", "PATH=/b:/c"}, "/b:/c"},
		{[]string{"PATH="}, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		{[]string{"MYPATH=/x", "PATH=/y"}, "/y"},
		{[]string{"PATH=/a", "PATH="}, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
	} {
		if got := SearchPath(tc.env); got != tc.want {
			t.Errorf("SearchPath(%q) = %q, want %q", tc.env, got, tc.want)
		}
	}
}
