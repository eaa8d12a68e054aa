package container

import (
	"os"
	"strings"
	"testing"
)

func TestParseNamespaceMode(t *testing.T) {
	for _, c := range []struct {
		flag, in string
		ok       bool
	}{
		{"ipc", "", true},
		{"ipc", "host", true},
		{"ipc", "private", true},
		{"ipc", "shareable", true},
		{"ipc", "container:web", true},
		{"ipc", "container:", false},
		{"ipc", "none", false},
		{"pid", "host", true},
		{"pid", "container:0123abc", true},
		{"pid", "shareable", false},
		{"pid", "private", false},
		{"uts", "host", true},
		{"uts", "container:x", true},
		{"uts", "Host", false},
		{"uts", "container", false},
	} {
		err := ParseNamespaceMode(c.flag, c.in)
		if (err == nil) != c.ok {
			t.Errorf("ParseNamespaceMode(%s, %q) = %v, want ok %v", c.flag, c.in, err, c.ok)
		}
		if err != nil && (!strings.Contains(err.Error(), "--"+c.flag) || strings.Contains(err.Error(), "\n")) {
			t.Errorf("error %q does not name --%s on one line", err, c.flag)
		}
	}
}

func FuzzParseNamespaceMode(f *testing.F) {
	for _, s := range []string{"", "host", "container:x", "container:", "shareable", "private"} {
		f.Add("ipc", s)
		f.Add("pid", s)
	}
	f.Fuzz(func(t *testing.T, flag, s string) {
		if ParseNamespaceMode(flag, s) != nil {
			return
		}
		switch {
		case s == "" || s == ModeHost:
		case flag == "ipc" && (s == ModeShareable || s == ModePrivate):
		case JoinedID(s) != "":
		default:
			t.Fatalf("ParseNamespaceMode(%q, %q) accepted", flag, s)
		}
	})
}

func TestJoinedID(t *testing.T) {
	for in, want := range map[string]string{"container:abc": "abc", "container:": "", "bridge": "", "host": "", "": ""} {
		if got := JoinedID(in); got != want {
			t.Errorf("JoinedID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCloneFlagsLeavesJoinedOut(t *testing.T) {
	f, err := openSelfNS(t, "net")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flags, join, err := cloneFlags([]Namespace{{Type: "uts"}, {Type: "net", File: f}})
	if err != nil || flags != namespaceFlags["uts"] || len(join) != 1 || join[0].Type != "net" {
		t.Errorf("cloneFlags = %#x, %v, %v", flags, join, err)
	}
	for _, bad := range []string{"mnt", "cgroup"} {
		if _, _, err := cloneFlags([]Namespace{{Type: bad, File: f}}); err == nil {
			t.Errorf("joining %s accepted", bad)
		}
	}
	if _, _, err := cloneFlags([]Namespace{{Type: "user"}}); err == nil {
		t.Error("unknown namespace type accepted")
	}
}

func openSelfNS(t *testing.T, ns string) (*os.File, error) {
	t.Helper()
	return os.Open("/proc/self/ns/" + ns)
}
