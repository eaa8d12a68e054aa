package security

import (
	"strconv"
	"strings"
	"unsafe"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// MaxID is the largest uid or gid a container user may have, as runc
// bounds it: the kernel's (uid_t)-1 means "unchanged" to the set*id
// calls, and ids past 2^31-1 break too many programs that keep them signed.
const MaxID = 1<<31 - 1

// UserSpec is a parsed -u/--user or image User: "user[:group]", each a
// name (looked up in the container's /etc/passwd and /etc/group) or a
// number.
type UserSpec struct {
	User  string // empty: the default user, root
	Group string // empty: the user's own group from /etc/passwd
}

// ParseUserSpec checks the syntax of a user[:group] spec; names are
// resolved later, inside the container, where its /etc/passwd is.
// The empty spec is the default user.
func ParseUserSpec(s string) (UserSpec, error) {
	if s == "" {
		return UserSpec{}, nil
	}
	user, group, hasGroup := strings.Cut(s, ":")
	if user == "" || (hasGroup && group == "") {
		return UserSpec{}, errors.Errorf("invalid user %q: want user[:group]", s)
	}
	for _, part := range []string{user, group} {
		if err := checkUserPart(part); err != nil {
			return UserSpec{}, errors.Wrapf(err, "invalid user %q", s)
		}
	}
	return UserSpec{User: user, Group: group}, nil
}

// checkUserPart refuses what no passwd or group line can hold (':' and
// newlines separate them) and numbers outside the id range.
func checkUserPart(p string) error {
	if len(p) > 256 {
		return errors.New("name too long")
	}
	if strings.ContainsAny(p, ":\n\r\x00 \t/") {
		return errors.Errorf("bad character in %q", p)
	}
	if IsNumericID(p) {
		if _, err := ParseID(p); err != nil {
			return err
		}
	}
	return nil
}

// IsNumericID reports whether s is written as a number: such a user or
// group is always an id, never a name (as in Docker).
func IsNumericID(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ParseID reads a uid or gid, 0..MaxID.
func ParseID(s string) (int, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n > MaxID {
		return 0, errors.Errorf("id %q out of range 0-%d", s, MaxID)
	}
	return int(n), nil
}

// Identity is who a container's process runs as.
type Identity struct {
	UID, GID int
	Groups   []int // supplementary groups
}

// switchTo makes the calling thread id. It runs after the bounding set
// and the seccomp filter are in place and before the final capability
// sets: CAP_SETUID and CAP_SETGID are still held even when the container
// drops them. Raw per-thread system calls, as for capset: only this
// thread execs the command (and Go's all-thread variants refuse to run
// in a binary with cgo, which the nsenter constructor makes this one).
//
// Changing every uid to non-zero clears the permitted and effective
// capabilities, so a non-root user starts with none, as in Docker; the
// bounding set stays, so a setuid-root program of the image still works.
func (id *Identity) switchTo() error {
	groups := make([]uint32, len(id.Groups))
	for i, g := range id.Groups {
		groups[i] = uint32(g)
	}
	var p *uint32
	if len(groups) > 0 {
		p = &groups[0]
	}
	// Always: otherwise the command keeps mydocker's own supplementary
	// groups on the host.
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(groups)), uintptr(unsafe.Pointer(p)), 0); e != 0 {
		return errors.Wrapf(e, "setgroups %v", id.Groups)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(id.GID), uintptr(id.GID), uintptr(id.GID)); e != 0 {
		return errors.Wrapf(e, "setgid %d", id.GID)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(id.UID), uintptr(id.UID), uintptr(id.UID)); e != 0 {
		return errors.Wrapf(e, "setuid %d", id.UID)
	}
	return nil
}
