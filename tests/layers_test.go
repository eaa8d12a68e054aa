package tests

import "testing"

// commit's layer carries what the container deleted and replaced: an
// image committed from it, and one committed on top of that, run with the
// deleted files gone, a replaced directory holding only its new contents
// (not the older layer's merged in), and modes and hard links kept.
func TestCommitLayersKeepDeletionsAndReplacedDirs(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "--name", "gen1", "busybox", "sh", "-ec", `
rm /bin/vi /etc/group
mkdir -p /srv/sub
echo a > /srv/a
echo c > /srv/sub/c
mkdir /data
chmod 1777 /data
echo d > /data/f
ln /data/f /data/g
chmod 4755 /data/f`)
	e.ok("commit", "gen1", "layers:1")
	got := e.ok("run", "--rm", "layers:1", "sh", "-c", `
ls /bin/vi /etc/group 2>&1
find /srv | sort | tr '\n' ' '; echo
stat -c '%a' /data /data/f
[ "$(stat -c %i /data/f)" = "$(stat -c %i /data/g)" ] && echo same-inode`)
	want := "ls: /bin/vi: No such file or directory\nls: /etc/group: No such file or directory\n" +
		"/srv /srv/a /srv/sub /srv/sub/c \n1777\n4755\nsame-inode"
	if got != want {
		t.Fatalf("first commit:\n%s\nwant\n%s", got, want)
	}

	// A second layer replaces a directory of the first and deletes files
	// of both layers below it.
	e.ok("run", "--name", "gen2", "layers:1", "sh", "-ec", `
rm -r /srv
mkdir /srv
echo new > /srv/new
rm /data/g /bin/cat`)
	e.ok("commit", "gen2", "layers:2")
	got = e.ok("run", "--rm", "layers:2", "sh", "-c", `find /srv /data | sort | tr '\n' ' '; echo; ls /bin/cat 2>&1 || true`)
	want = "/data /data/f /srv /srv/new \nls: /bin/cat: No such file or directory"
	if got != want {
		t.Fatalf("second commit:\n%s\nwant\n%s", got, want)
	}
}
