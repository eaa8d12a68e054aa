package container

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"mydocker/container/spec"
)

const tmpfsDef = unix.MS_NOEXEC | unix.MS_NOSUID | unix.MS_NODEV

func TestParseMount(t *testing.T) {
	tests := []struct {
		arg     string
		want    spec.Mount
		wantErr string
	}{
		{"type=bind,source=/a,target=/b", spec.Mount{Type: "bind", Source: "/a", Destination: "/b"}, ""},
		{"type=bind,src=/a/../c,dst=/b/,readonly", spec.Mount{Type: "bind", Source: "/c", Destination: "/b", ReadOnly: true}, ""},
		{"type=bind,src=/a,destination=/b,ro=false", spec.Mount{Type: "bind", Source: "/a", Destination: "/b"}, ""},
		{"type=volume,source=data,target=/d", spec.Mount{Type: "volume", Name: "data", Destination: "/d", CopyUp: true}, ""},
		{"source=data,target=/d,volume-nocopy", spec.Mount{Type: "volume", Name: "data", Destination: "/d"}, ""},
		{"target=/d", spec.Mount{Type: "volume", Destination: "/d", Anonymous: true, CopyUp: true}, ""},
		{"type=tmpfs,target=/t", spec.Mount{Type: "tmpfs", Source: "tmpfs", Destination: "/t", Flags: tmpfsDef}, ""},
		{"type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=700", spec.Mount{Type: "tmpfs", Source: "tmpfs", Destination: "/t", Flags: tmpfsDef, Data: "size=1048576,mode=700"}, ""},
		{`"type=bind","source=/a,b",target=/c`, spec.Mount{Type: "bind", Source: "/a,b", Destination: "/c"}, ""},
		{"type=bind,source=/a", spec.Mount{}, "target is required"},
		{"type=bind,target=/b", spec.Mount{}, "needs a source"},
		{"type=bind,source=a,target=/b", spec.Mount{}, "must be an absolute path"},
		{"type=bind,source=/a,target=b", spec.Mount{}, "must be an absolute path"},
		{"type=bind,source=/a,target=/", spec.Mount{}, "cannot be /"},
		{"type=nfs,target=/b", spec.Mount{}, "type must be bind, volume or tmpfs"},
		{"type=volume,source=../x,target=/b", spec.Mount{}, "invalid volume name"},
		{"type=tmpfs,source=x,target=/b", spec.Mount{}, "takes no source"},
		{"type=tmpfs,target=/b,tmpfs-size=lots", spec.Mount{}, "invalid size"},
		{"type=tmpfs,target=/b,tmpfs-mode=999", spec.Mount{}, "octal"},
		{"type=bind,source=/a,target=/b,tmpfs-size=1m", spec.Mount{}, "type=tmpfs only"},
		{"type=bind,source=/a,target=/b,volume-nocopy", spec.Mount{}, "type=volume only"},
		{"type=bind,source=/a,target=/b,readonly=maybe", spec.Mount{}, "invalid value for readonly"},
		{"type=bind,source=/a,target=/b,bind-propagation=shared", spec.Mount{}, "not supported"},
		{"type=bind,source=/a,target=/b,color=red", spec.Mount{}, `unexpected key "color"`},
		{"type=bind,source=/a,target=/b,target=/c", spec.Mount{}, "given twice"},
		{"type=bind,source=/a,target=/b\n", spec.Mount{}, "control character"},
		{"", spec.Mount{}, "invalid --mount"},
	}
	for _, tc := range tests {
		got, err := ParseMount(tc.arg)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseMount(%q) error %v, want %q", tc.arg, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseMount(%q) = %+v, %v; want %+v", tc.arg, got, err, tc.want)
		}
	}
}

func TestParseTmpfs(t *testing.T) {
	tests := []struct {
		arg     string
		want    spec.Mount
		wantErr string
	}{
		{"/run", spec.Mount{Type: "tmpfs", Source: "tmpfs", Destination: "/run", Flags: tmpfsDef}, ""},
		{"/run:rw,size=64m,mode=1777", spec.Mount{Type: "tmpfs", Source: "tmpfs", Destination: "/run", Flags: tmpfsDef, Data: "size=67108864,mode=1777"}, ""},
		{"/x:ro,exec,uid=1000,gid=1000", spec.Mount{Type: "tmpfs", Source: "tmpfs", Destination: "/x", ReadOnly: true, Flags: unix.MS_NOSUID | unix.MS_NODEV, Data: "uid=1000,gid=1000"}, ""},
		{"/x:size=1m,nr_inodes=10", spec.Mount{Type: "tmpfs", Source: "tmpfs", Destination: "/x", Flags: tmpfsDef, Data: "size=1048576,nr_inodes=10"}, ""},
		{"run", spec.Mount{}, "must be an absolute path"},
		{"/", spec.Mount{}, "cannot be /"},
		{"/x:size=1m,huge=always", spec.Mount{}, "unknown option"},
		{"/x:uid=root", spec.Mount{}, "want a number"},
		{"/x:mode=1777,size=1m,mpol=bind", spec.Mount{}, "unknown option"},
		{"/x:exec=1", spec.Mount{}, "unknown option"},
		{"/x:", spec.Mount{Type: "tmpfs", Source: "tmpfs", Destination: "/x", Flags: tmpfsDef}, ""},
		{"/x:,", spec.Mount{}, "unknown option"},
	}
	for _, tc := range tests {
		got, err := ParseTmpfs(tc.arg)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseTmpfs(%q) error %v, want %q", tc.arg, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseTmpfs(%q) = %+v, %v; want %+v", tc.arg, got, err, tc.want)
		}
	}
}

func TestParseMountsRefusesDuplicatesAndMissingBindSource(t *testing.T) {
	dir := t.TempDir()
	if _, err := ParseMounts([]string{"/a:/x"}, nil, []string{"/x"}); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("-v and --tmpfs on one target: %v", err)
	}
	if _, err := ParseMounts(nil, []string{"type=bind,src=" + dir + "/missing,dst=/x"}, nil); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing bind source: %v", err)
	}
	got, err := ParseMounts([]string{"v1:/a"}, []string{"type=bind,src=" + dir + ",dst=/b"}, []string{"/c"})
	if err != nil || len(got) != 3 {
		t.Fatalf("ParseMounts = %+v, %v", got, err)
	}
}

// mountInvariants is what every accepted mount satisfies, whatever was typed.
func mountInvariants(t *testing.T, arg string, m spec.Mount) {
	t.Helper()
	if !filepath.IsAbs(m.Destination) || filepath.Clean(m.Destination) != m.Destination || m.Destination == "/" {
		t.Fatalf("%q: bad destination accepted: %+v", arg, m)
	}
	switch m.Type {
	case "bind":
		if !filepath.IsAbs(m.Source) || filepath.Clean(m.Source) != m.Source {
			t.Fatalf("%q: bad source accepted: %+v", arg, m)
		}
	case "volume":
		if m.Name != "" && ValidateVolumeName(m.Name) != nil {
			t.Fatalf("%q: bad volume name accepted: %+v", arg, m)
		}
		if m.Anonymous != (m.Name == "") {
			t.Fatalf("%q: anonymous iff no name: %+v", arg, m)
		}
	case "tmpfs":
		// Only the options we write: name=number, nothing from the user
		// that could add a mount option.
		for _, kv := range strings.Split(m.Data, ",") {
			if kv == "" {
				continue
			}
			k, v, ok := strings.Cut(kv, "=")
			if !ok || strings.Trim(v, "0123456789") != "" || !strings.Contains("size mode uid gid nr_inodes", k) {
				t.Fatalf("%q: tmpfs data %q", arg, m.Data)
			}
		}
	default:
		t.Fatalf("%q: type %q accepted", arg, m.Type)
	}
	if strings.ContainsRune(m.Source+m.Destination+m.Name, 0) {
		t.Fatalf("%q: NUL accepted", arg)
	}
}

func FuzzParseMount(f *testing.F) {
	for _, s := range []string{
		"type=bind,source=/a,target=/b,readonly", "type=volume,src=v,dst=/x,volume-nocopy",
		"type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1777", `"source=/a,b",target=/c`, "target=/x",
		"type=tmpfs,dst=/t,tmpfs-size=1m,mode=0", "type=bind,src=/,dst=/..",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		m, err := ParseMount(arg)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("%q: error of more than one line: %v", arg, err)
			}
			return
		}
		mountInvariants(t, arg, m)
	})
}

func FuzzParseTmpfs(f *testing.F) {
	for _, s := range []string{"/run", "/run:size=64m,mode=1777", "/x:ro,exec,uid=1", "/x:size=1m,size=2m", "x:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		if m, err := ParseTmpfs(arg); err == nil {
			mountInvariants(t, arg, m)
		}
	})
}

func TestParseUlimit(t *testing.T) {
	hard := func(resource int) (uint64, error) {
		if resource == unix.RLIMIT_NOFILE {
			return 4096, nil
		}
		return unix.RLIM_INFINITY, nil
	}
	tests := []struct {
		arg     string
		want    Ulimit
		wantErr string
	}{
		{"nofile=1024", Ulimit{"nofile", 1024, 1024}, ""},
		{"nofile=1024:4096", Ulimit{"nofile", 1024, 4096}, ""},
		{"core=0", Ulimit{"core", 0, 0}, ""},
		{"nproc=-1", Ulimit{"nproc", -1, -1}, ""},
		{"stack=8192:unlimited", Ulimit{"stack", 8192, -1}, ""},
		{"nofile=1024:8192", Ulimit{}, "above this host's hard limit (4096)"},
		{"nofile=unlimited", Ulimit{}, "above this host's hard limit"},
		{"nofile=2048:1024", Ulimit{}, "above the hard limit"},
		{"nofile", Ulimit{}, "want name=soft[:hard]"},
		{"files=10", Ulimit{}, "unknown limit"},
		{"nofile=ten", Ulimit{}, "not a number"},
		{"nofile=-2", Ulimit{}, "not a number"},
		{"nofile=1:2:3", Ulimit{}, "not a number"},
		{"nofile=", Ulimit{}, "not a number"},
	}
	for _, tc := range tests {
		got, err := ParseUlimit(tc.arg, hard)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseUlimit(%q) error %v, want %q", tc.arg, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseUlimit(%q) = %+v, %v; want %+v", tc.arg, got, err, tc.want)
		}
	}
}

func TestParseEnvFile(t *testing.T) {
	t.Setenv("FROM_HOST", "host value")
	tests := []struct {
		data    string
		want    []string
		wantErr string
	}{
		{"A=1\nB=two words\n", []string{"A=1", "B=two words"}, ""},
		{"# comment\n\n  C=\"quoted\"  \n", []string{`C="quoted"  `}, ""},
		{"\xef\xbb\xbfD=bom\r\n", []string{"D=bom"}, ""},
		{"FROM_HOST\nNOT_SET_ANYWHERE_XYZ\n", []string{"FROM_HOST=host value"}, ""},
		{"E=a=b\n", []string{"E=a=b"}, ""},
		{"=x\n", nil, "line 1 has no variable name"},
		{"OK=1\nBAD KEY=1\n", nil, "line 2: variable \"BAD KEY\" contains whitespace"},
		{"X=\xff\n", nil, "not UTF-8"},
	}
	for _, tc := range tests {
		got, err := parseEnvLines("f", []byte(tc.data))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseEnvLines(%q) error %v, want %q", tc.data, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseEnvLines(%q) = %q, %v; want %q", tc.data, got, err, tc.want)
		}
	}
}

func FuzzParseEnvFile(f *testing.F) {
	for _, s := range []string{"A=1\n#c\nB\n", "\xef\xbb\xbfX=y", "=\n", " K = v\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := parseEnvLines("f", data)
		if err != nil {
			return
		}
		for _, kv := range env {
			k, _, ok := strings.Cut(kv, "=")
			if !ok || k == "" || strings.ContainsAny(k, " \t\n\x00") {
				t.Fatalf("%q: bad variable %q accepted", data, kv)
			}
		}
	})
}

func TestParseGroupAdd(t *testing.T) {
	for _, ok := range []string{"audio", "29", "my-group_1.x"} {
		if _, err := ParseGroupAdd([]string{ok}); err != nil {
			t.Errorf("ParseGroupAdd(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a:b", "a b", "4294967295", "../etc"} {
		if _, err := ParseGroupAdd([]string{bad}); err == nil {
			t.Errorf("ParseGroupAdd(%q) accepted", bad)
		}
	}
}

func TestProcessEnv(t *testing.T) {
	tests := []struct {
		tty  bool
		env  []string
		want []string
	}{
		{false, []string{"PATH=/bin"}, []string{"HOSTNAME=h", "PATH=/bin"}},
		{true, []string{"PATH=/bin"}, []string{"HOSTNAME=h", "TERM=xterm", "PATH=/bin"}},
		{true, []string{"PATH=/bin", "TERM=vt100", "HOSTNAME=mine"}, []string{"HOSTNAME=mine", "TERM=vt100", "PATH=/bin"}},
	}
	for _, tc := range tests {
		if got := processEnv("h", tc.tty, tc.env); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("processEnv(%v, %q) = %q, want %q", tc.tty, tc.env, got, tc.want)
		}
	}
}

func TestSortMountsParentsFirst(t *testing.T) {
	in := []spec.Mount{{Destination: "/a/b/c"}, {Destination: "/z"}, {Destination: "/a/b"}, {Destination: "/a"}}
	var got []string
	for _, m := range sortMounts(in) {
		got = append(got, m.Destination)
	}
	if want := []string{"/z", "/a", "/a/b", "/a/b/c"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("sortMounts = %v, want %v", got, want)
	}
}
