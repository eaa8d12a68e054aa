package security

import (
	"strconv"
	"strings"

	"github.com/pkg/errors"
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
