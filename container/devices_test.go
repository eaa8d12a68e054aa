package container

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeStat knows /dev/null (c 1:3), /dev/sda (b 8:0) and /tmp (a directory).
func fakeStat(p string, st *unix.Stat_t) error {
	switch p {
	case "/dev/null":
		st.Mode, st.Rdev = unix.S_IFCHR|0o666, unix.Mkdev(1, 3)
	case "/dev/sda":
		st.Mode, st.Rdev, st.Gid = unix.S_IFBLK|0o660, unix.Mkdev(8, 0), 6
	case "/tmp":
		st.Mode = unix.S_IFDIR | 0o1777
	default:
		return unix.ENOENT
	}
	return nil
}

func TestParseDevice(t *testing.T) {
	tests := []struct {
		arg               string
		path, perms, typ  string
		major, minor, gid int64
		wantErr           string
	}{
		{arg: "/dev/null", path: "/dev/null", perms: "rwm", typ: "c", major: 1, minor: 3},
		{arg: "/dev/null:r", path: "/dev/null", perms: "r", typ: "c", major: 1, minor: 3},
		{arg: "/dev/sda:/dev/xvda", path: "/dev/xvda", perms: "rwm", typ: "b", major: 8, gid: 6},
		{arg: "/dev/sda:/dev/disks/a/../b:rw", path: "/dev/disks/b", perms: "rw", typ: "b", major: 8, gid: 6},
		{arg: "/dev/null:/dev/n:rx", wantErr: "want a combination of r, w and m"},
		{arg: "/dev/null:/dev/n:rr", wantErr: "want a combination"},
		{arg: "/dev/null:/dev/n:", wantErr: "want a combination"},
		{arg: "/dev/null:/etc/passwd", wantErr: "must be in /dev"},
		{arg: "/dev/null:/dev", wantErr: "must be in /dev"},
		{arg: "/dev/null:/dev/../etc/x", wantErr: "must be in /dev"},
		{arg: "/dev/null:/dev/pts/9", wantErr: "must be in /dev"},
		{arg: "/dev/null:/dev/shm", wantErr: "must be in /dev"},
		{arg: "/dev/null:dev/x", wantErr: "must be absolute"},
		{arg: "dev/null", wantErr: "must be absolute"},
		{arg: "/tmp", wantErr: "not a device node"},
		{arg: "/dev/nosuch", wantErr: "no such file"},
		{arg: "/dev/null:/dev/a:r:x", wantErr: "want HOST[:CONTAINER][:PERMS]"},
	}
	for _, tc := range tests {
		d, err := ParseDevice(tc.arg, fakeStat)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseDevice(%q) error %v, want %q", tc.arg, err, tc.wantErr)
			}
			continue
		}
		if err != nil || d.PathInContainer != tc.path || d.CgroupPermissions != tc.perms || d.Node.Type != tc.typ ||
			d.Node.Major != tc.major || d.Node.Minor != tc.minor || int64(d.Node.GID) != tc.gid || d.Node.Path != tc.path {
			t.Errorf("ParseDevice(%q) = %+v, %v", tc.arg, d, err)
		}
	}
}

func TestDeviceRules(t *testing.T) {
	d, err := ParseDevice("/dev/sda:r", fakeStat)
	if err != nil {
		t.Fatal(err)
	}
	rules := DeviceRules([]DeviceMapping{d}, false)
	last := rules[len(rules)-1]
	if last.String() != "b 8:0 r" || len(rules) < 3 {
		t.Fatalf("rules %v", rules)
	}
	if all := DeviceRules([]DeviceMapping{d}, true); len(all) != 1 || all[0].String() != "a *:* rwm" {
		t.Fatalf("privileged rules %v", all)
	}
}

func FuzzParseDevice(f *testing.F) {
	for _, s := range []string{"/dev/null", "/dev/null:r", "/dev/sda:/dev/x:rwm", "/dev/null:/dev/../x", "/tmp:/dev/t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		d, err := ParseDevice(arg, fakeStat)
		if err != nil {
			return
		}
		// Inside /dev, clean, no ".." element ("/dev/..0" is a name).
		if !strings.HasPrefix(d.PathInContainer, "/dev/") || filepath.Clean(d.PathInContainer) != d.PathInContainer ||
			slices.Contains(strings.Split(d.PathInContainer, "/"), "..") {
			t.Fatalf("%q: container path %q", arg, d.PathInContainer)
		}
		if !validPerms(d.CgroupPermissions) || (d.Node.Type != "b" && d.Node.Type != "c") {
			t.Fatalf("%q: %+v", arg, d)
		}
	})
}
