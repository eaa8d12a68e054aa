package accounts

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"mydocker/container/security"
	"mydocker/container/spec"
)

const testPasswd = `root:x:0:0:root:/root:/bin/sh
# a comment
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin

alice:x:1000:1000:Alice,,,:/home/alice:/bin/sh
bob:x:1001:1001::/home/bob:/bin/sh
broken:x:notanumber:0::/:/bin/sh
short:x:5
+nis
huge:x:4294967296:0::/:/bin/sh
alice:x:2000:2000:second alice:/nope:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
`

const testGroup = `root:x:0:
wheel:x:10:root,alice
audio:x:29:bob, alice
alice:x:1000:
bob:x:1001:
staff:x:50:
bad:x:z:alice
nogroup:x:65534:
`

func TestParsePasswd(t *testing.T) {
	got, err := parsePasswd(strings.NewReader(testPasswd))
	if err != nil {
		t.Fatal(err)
	}
	want := []passwdEntry{
		{"root", 0, 0, "/root"}, {"daemon", 1, 1, "/usr/sbin"}, {"alice", 1000, 1000, "/home/alice"},
		{"bob", 1001, 1001, "/home/bob"}, {"alice", 2000, 2000, "/nope"}, {"nobody", 65534, 65534, "/nonexistent"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parsePasswd = %+v\nwant %+v", got, want)
	}
}

func TestParseGroup(t *testing.T) {
	got, err := parseGroup(strings.NewReader(testGroup))
	if err != nil {
		t.Fatal(err)
	}
	want := []groupEntry{
		{"root", 0, nil}, {"wheel", 10, []string{"root", "alice"}}, {"audio", 29, []string{"bob", "alice"}},
		{"alice", 1000, nil}, {"bob", 1001, nil}, {"staff", 50, nil}, {"nogroup", 65534, nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseGroup = %+v\nwant %+v", got, want)
	}
}

func TestAccountFileTooLarge(t *testing.T) {
	big := strings.Repeat("#", maxAccountFile+1)
	if _, err := parsePasswd(strings.NewReader(big)); err == nil {
		t.Fatal("a passwd file over the bound was read")
	}
}

func TestResolveUser(t *testing.T) {
	pw, _ := parsePasswd(strings.NewReader(testPasswd))
	gr, _ := parseGroup(strings.NewReader(testGroup))
	full := accounts{passwd: pw, group: gr}
	id := func(uid, gid int, groups ...int) security.Identity {
		return security.Identity{UID: uid, GID: gid, Groups: groups}
	}
	tests := []struct {
		name string
		spec string
		a    accounts
		want security.Identity
		home string
		err  string
	}{
		{"default is root, with root's groups", "", full, id(0, 0, 10), "/root", ""},
		{"name", "alice", full, id(1000, 1000, 10, 29), "/home/alice", ""},
		{"first entry wins", "alice", full, id(1000, 1000, 10, 29), "/home/alice", ""},
		{"uid with an entry", "1001", full, id(1001, 1001, 29), "/home/bob", ""},
		{"uid written with zeros", "01001", full, id(1001, 1001, 29), "/home/bob", ""},
		{"uid without an entry: gid 0, home /", "4242", full, id(4242, 0), "/", ""},
		{"explicit numeric group: no supplementary groups", "alice:50", full, id(1000, 50), "/home/alice", ""},
		{"explicit group by name", "bob:staff", full, id(1001, 50), "/home/bob", ""},
		{"numbers only", "1000:1000", full, id(1000, 1000), "/home/alice", ""},
		{"numbers without entries", "3000:3000", full, id(3000, 3000), "/", ""},
		{"nobody", "nobody", full, id(65534, 65534), "/nonexistent", ""},
		{"unknown user", "mallory", full, id(0, 0), "", "unable to find user mallory"},
		{"unknown group", "alice:nogood", full, id(0, 0), "", "unable to find group nogood"},
		{"no passwd file: numbers still work", "1000:1000", accounts{}, id(1000, 1000), "/", ""},
		{"no passwd file: root", "", accounts{}, id(0, 0), "/", ""},
		{"no passwd file: names do not", "nobody", accounts{}, id(0, 0), "", "unable to find user nobody"},
		{"bad spec", "a:b:c", full, id(0, 0), "", "invalid user"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := resolveUser(tc.spec, tc.a)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(u.ID, tc.want) || u.Home != tc.home {
				t.Fatalf("= %+v, %v; want %+v home %q", u, err, tc.want, tc.home)
			}
		})
	}
}

func TestWithHome(t *testing.T) {
	if got := WithHome([]string{"A=1"}, "/home/a"); !reflect.DeepEqual(got, []string{"A=1", "HOME=/home/a"}) {
		t.Errorf("WithHome = %q", got)
	}
	if got := WithHome([]string{"HOME=/mine"}, "/home/a"); !reflect.DeepEqual(got, []string{"HOME=/mine"}) {
		t.Errorf("WithHome kept = %q", got)
	}
}

func FuzzParsePasswd(f *testing.F) {
	f.Add(testPasswd, "alice")
	f.Add("a:x:1:2:g:/h:/s\n", "1")
	f.Add("::0:0:::\n", "")
	f.Add("x:x:99999999999:1:::\n", "x")
	f.Fuzz(func(t *testing.T, data, spec string) {
		pw, err := parsePasswd(strings.NewReader(data))
		if err != nil {
			return
		}
		for _, p := range pw {
			if p.name == "" || strings.ContainsAny(p.name, ":\n") || p.uid < 0 || p.uid > security.MaxID || p.gid < 0 || p.gid > security.MaxID {
				t.Fatalf("bad entry %+v from %q", p, data)
			}
		}
		gr, err := parseGroup(strings.NewReader(data))
		if err != nil {
			return
		}
		u, err := resolveUser(spec, accounts{passwd: pw, group: gr})
		if err != nil {
			return
		}
		if u.ID.UID < 0 || u.ID.UID > security.MaxID || u.ID.GID < 0 || u.ID.GID > security.MaxID {
			t.Fatalf("%q in %q: ids %+v", spec, data, u.ID)
		}
		// A name resolves only to an entry that has that name.
		us, _ := security.ParseUserSpec(spec)
		if us.User != "" && !security.IsNumericID(us.User) {
			if p, ok := findPasswd(pw, us.User); !ok || p.uid != u.ID.UID {
				t.Fatalf("%q in %q: resolved to %+v", spec, data, u.ID)
			}
		}
	})
}

// Both lookups read through the root handle only: an absolute symlink
// resolves inside the root, a fifo is never waited on (and counts as
// missing while no name needs it).
func TestLookupThroughRoot(t *testing.T) {
	root := t.TempDir()
	mk := func(p, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk("real/passwd", testPasswd)
	mk("etc/hostname", "box")
	// Absolute: on the host it would name the host's own file.
	if err := os.Symlink("/real/passwd", filepath.Join(root, "etc/passwd")); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(root, "etc/group"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir, err := os.OpenFile(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	for name, lookup := range map[string]func(*os.File, string, []string) (*User, error){
		"Lookup": Lookup, "LookupFromHost": LookupFromHost,
	} {
		u, err := lookup(dir, "alice", nil)
		if err != nil || u.ID.UID != 1000 || u.ID.GID != 1000 || u.Home != "/home/alice" {
			t.Errorf("%s alice through the in-root symlink: %+v, %v", name, u, err)
		}
		if u, err := lookup(dir, "1000:1000", []string{"27"}); err != nil || u.ID.Groups[0] != 27 {
			t.Errorf("%s numbers with a fifo for /etc/group: %+v, %v", name, u, err)
		}
		if _, err := lookup(dir, "alice:staff", nil); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("%s a group name with a fifo for /etc/group: %v", name, err)
		}
		if code := spec.ExitCode(func() error { _, err := lookup(dir, "nobody-here", nil); return err }()); code != 125 {
			t.Errorf("%s unknown user: exit code %d, want 125", name, code)
		}
	}
}
