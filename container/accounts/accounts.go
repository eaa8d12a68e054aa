// Package accounts resolves the user a container's process runs as in the
// container's own /etc/passwd and /etc/group, reading them through a handle
// on the container's root with every path resolved inside it. Init uses it
// inside the container (its root is "/"); exec uses it on the host,
// through the running container's /proc/<pid>/root, so the process that
// enters the container starts with numbers only.
package accounts

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/pkg/errors"
	"golang.org/x/sys/unix"

	"mydocker/constant"
	"mydocker/container/inroot"
	"mydocker/container/security"
	"mydocker/container/spec"
)

// The user a container's command runs as is named by -u or the image's
// User, in the container's own terms: its /etc/passwd and /etc/group, as
// the image (and the container, for exec) has them. They are always read
// through a handle on the container's root, never through a host path,
// where a symlinked /etc/passwd could lead to the host's files.

// passwdEntry is one line of /etc/passwd, the fields a container needs.
type passwdEntry struct {
	name     string
	uid, gid int
	home     string
}

// groupEntry is one line of /etc/group.
type groupEntry struct {
	name    string
	gid     int
	members []string
}

// maxAccountFile bounds how much of /etc/passwd or /etc/group is read: the
// image controls them, and a real one is far smaller.
const maxAccountFile = 4 << 20

// parsePasswd reads passwd lines (name:password:uid:gid:gecos:home:shell).
// Lines that are not such a line (comments, blanks, NIS "+" entries, a uid
// that is not a number) are skipped rather than guessed at: a bad line
// must not become some other user, root least of all.
func parsePasswd(r io.Reader) ([]passwdEntry, error) {
	var out []passwdEntry
	err := eachLine(r, func(line string) {
		f := strings.Split(line, ":")
		if len(f) != 7 || f[0] == "" || !security.IsNumericID(f[2]) || !security.IsNumericID(f[3]) {
			return
		}
		uid, err1 := security.ParseID(f[2])
		gid, err2 := security.ParseID(f[3])
		if err1 != nil || err2 != nil {
			return
		}
		out = append(out, passwdEntry{name: f[0], uid: uid, gid: gid, home: f[5]})
	})
	return out, err
}

// parseGroup reads group lines (name:password:gid:member,member...).
func parseGroup(r io.Reader) ([]groupEntry, error) {
	var out []groupEntry
	err := eachLine(r, func(line string) {
		f := strings.Split(line, ":")
		if len(f) != 4 || f[0] == "" || !security.IsNumericID(f[2]) {
			return
		}
		gid, err := security.ParseID(f[2])
		if err != nil {
			return
		}
		g := groupEntry{name: f[0], gid: gid}
		for _, m := range strings.Split(f[3], ",") {
			if m = strings.TrimSpace(m); m != "" {
				g.members = append(g.members, m)
			}
		}
		out = append(out, g)
	})
	return out, err
}

// eachLine calls fn with every line of r that is neither blank nor a
// comment, up to maxAccountFile bytes.
func eachLine(r io.Reader, fn func(string)) error {
	data, err := io.ReadAll(io.LimitReader(r, maxAccountFile+1))
	if err != nil {
		return err
	}
	if len(data) > maxAccountFile {
		return errors.Errorf("larger than %d bytes", maxAccountFile)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxAccountFile+1)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fn(line)
	}
	return sc.Err()
}

// accounts is what a container's /etc/passwd and /etc/group say; a nil
// list is a missing file.
type accounts struct {
	passwd []passwdEntry
	group  []groupEntry
}

// User is who the command runs as, and its home directory.
type User struct {
	ID   security.Identity
	Home string
}

// resolveUser turns a user[:group] spec into ids with Docker's (runc's)
// rules: a number is always an id, even with no passwd entry (then gid
// 0 and home /); a name must be in the files; the empty spec is root.
// Supplementary groups are the groups that list the user as a member,
// and only when no group is given explicitly.
func resolveUser(spec string, a accounts) (*User, error) {
	us, err := security.ParseUserSpec(spec)
	if err != nil {
		return nil, err
	}
	u := &User{Home: "/"}
	user := us.User
	if user == "" {
		user = "0"
	}
	var name string
	if p, ok := findPasswd(a.passwd, user); ok {
		name, u.ID.UID, u.ID.GID, u.Home = p.name, p.uid, p.gid, p.home
	} else if security.IsNumericID(user) {
		if u.ID.UID, err = security.ParseID(user); err != nil {
			return nil, err
		}
	} else {
		return nil, errors.Errorf("unable to find user %s: no matching entries in passwd file", user)
	}
	if us.Group != "" {
		if g, ok := findGroup(a.group, us.Group); ok {
			u.ID.GID = g.gid
		} else if security.IsNumericID(us.Group) {
			if u.ID.GID, err = security.ParseID(us.Group); err != nil {
				return nil, err
			}
		} else {
			return nil, errors.Errorf("unable to find group %s: no matching entries in group file", us.Group)
		}
		return u, nil
	}
	if name != "" {
		for _, g := range a.group {
			for _, m := range g.members {
				if m == name {
					u.ID.Groups = append(u.ID.Groups, g.gid)
					break
				}
			}
		}
	}
	return u, nil
}

// findPasswd finds user by uid if it is a number, else by name; the first
// match wins.
func findPasswd(list []passwdEntry, user string) (passwdEntry, bool) {
	numeric := security.IsNumericID(user)
	uid, err := security.ParseID(user)
	for _, p := range list {
		if (numeric && err == nil && p.uid == uid) || (!numeric && p.name == user) {
			return p, true
		}
	}
	return passwdEntry{}, false
}

// findGroup finds group by gid if it is a number, else by name.
func findGroup(list []groupEntry, group string) (groupEntry, bool) {
	numeric := security.IsNumericID(group)
	gid, err := security.ParseID(group)
	for _, g := range list {
		if (numeric && err == nil && g.gid == gid) || (!numeric && g.name == group) {
			return g, true
		}
	}
	return groupEntry{}, false
}

// Lookup resolves userSpec (user[:group]) and groupAdd (--group-add) against
// the files under root, a directory handle that acts as "/": for init its
// own root after pivot_root, for exec the container's /proc/<pid>/root.
// Its errors are the user's or the image's: exit code 125.
//
// A file that cannot be read (not a regular file, too large) counts as
// missing while it is not needed, so the default user and numeric ids
// still run; a name that then cannot be found is reported with why.
func Lookup(root *os.File, userSpec string, groupAdd []string) (*User, error) {
	return lookup(root, userSpec, groupAdd, pathrs.Reopen)
}

// LookupFromHost is Lookup for a process on the host, such as exec's,
// reading the container's files through its /proc/<pid>/root. Paths are
// resolved inside the root all the same; only the reopening of a checked
// handle differs: the host's /proc is its own, so the handle is reopened
// through it plainly, where pathrs would first mount a private procfs
// (guarding against a /proc the container arranged), on every exec.
func LookupFromHost(root *os.File, userSpec string, groupAdd []string) (*User, error) {
	return lookup(root, userSpec, groupAdd, reopenThroughHostProc)
}

// reopenThroughHostProc opens the file an O_PATH handle names, for
// reading, through the host's /proc.
func reopenThroughHostProc(h *os.File, flags int) (*os.File, error) {
	return os.OpenFile("/proc/self/fd/"+strconv.Itoa(int(h.Fd())), flags, 0)
}

func lookup(root *os.File, userSpec string, groupAdd []string, reopen func(*os.File, int) (*os.File, error)) (*User, error) {
	var a accounts
	perr := readAccountFile(root, reopen, "/etc/passwd", func(r io.Reader) (err error) {
		a.passwd, err = parsePasswd(r)
		return err
	})
	gerr := readAccountFile(root, reopen, "/etc/group", func(r io.Reader) (err error) {
		a.group, err = parseGroup(r)
		return err
	})
	if perr != nil {
		a.passwd = nil
	}
	if gerr != nil {
		a.group = nil
	}
	u, err := resolveUser(userSpec, a)
	if err != nil {
		var us security.UserSpec
		us, _ = security.ParseUserSpec(userSpec)
		if perr != nil && us.User != "" && !security.IsNumericID(us.User) {
			err = errors.Wrapf(perr, "unable to find user %s", us.User)
		} else if gerr != nil && us.Group != "" && !security.IsNumericID(us.Group) {
			err = errors.Wrapf(gerr, "unable to find group %s", us.Group)
		}
		return nil, &spec.ExitError{Code: constant.ExitMydocker, Err: err}
	}
	if err := addGroups(u, groupAdd, a.group); err != nil {
		if gerr != nil {
			err = errors.Wrap(gerr, err.Error())
		}
		return nil, &spec.ExitError{Code: constant.ExitMydocker, Err: err}
	}
	return u, nil
}

// addGroups adds --group-add's groups to u's supplementary groups: a
// number is a gid, a name is looked up in the container's /etc/group.
func addGroups(u *User, names []string, groups []groupEntry) error {
	for _, name := range names {
		var gid int
		if g, ok := findGroup(groups, name); ok {
			gid = g.gid
		} else if security.IsNumericID(name) {
			var err error
			if gid, err = security.ParseID(name); err != nil {
				return err
			}
		} else {
			return errors.Errorf("unable to find group %s: no matching entries in group file", name)
		}
		if !slices.Contains(u.ID.Groups, gid) {
			u.ID.Groups = append(u.ID.Groups, gid)
		}
	}
	return nil
}

// readAccountFile opens p inside root (symlinks followed as if root were
// /, never out of it) and passes it to parse. A missing file is no entries.
// Only a regular file is read: the image could make /etc/passwd a fifo
// nobody writes to or a link to /dev/zero, and the reader would wait
// forever. Anything else is never even opened, only looked at through an
// O_PATH handle: a running container can mknod /etc/passwd, and the host
// opening a device such as a watchdog would set it off.
func readAccountFile(root *os.File, reopen func(*os.File, int) (*os.File, error), p string, parse func(io.Reader) error) error {
	h, err := inroot.Open(root, p)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return nil
	}
	if err != nil {
		return errors.Wrapf(err, "open %s", p)
	}
	defer h.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return errors.Wrapf(err, "stat %s", p)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return errors.Errorf("%s is not a regular file", p)
	}
	f, err := reopen(h, unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		return errors.Wrapf(err, "open %s", p)
	}
	defer f.Close()
	return errors.Wrapf(parse(f), "read %s", p)
}

// WithHome adds HOME=home unless env sets HOME already.
func WithHome(env []string, home string) []string {
	for _, kv := range env {
		if strings.HasPrefix(kv, "HOME=") {
			return env
		}
	}
	return append(env[:len(env):len(env)], "HOME="+home)
}
