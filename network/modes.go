package network

import (
	"strings"

	"github.com/pkg/errors"

	"mydocker/utils"
)

// The network modes besides bridge networks, as Docker names them.
const (
	// None keeps the container in a network namespace of its own with
	// only lo.
	None = "none"
	// Host shares the host's network namespace: no veth, no address of
	// its own, the host's /etc/hosts and resolv.conf.
	Host = "host"
)

// Bridged reports whether a container whose record names network mode
// joins a bridge network (and so holds an address, a veth and maybe port
// rules). An empty mode is a record from before the default network, or
// course mode: no network, as None.
func Bridged(mode string) bool {
	// "container:C" shares C's network namespace: C holds the address.
	return mode != "" && mode != None && mode != Host && !strings.HasPrefix(mode, "container:")
}

// UserDefined reports whether mode is a network the user created: the
// ones where containers find each other by name, as in Docker, where the
// default bridge gives no names.
func UserDefined(mode string) bool { return Bridged(mode) && mode != DefaultName }

// aliasRE is what a name a container answers to on a network may be: a
// DNS label or dotted name, which is also what /etc/hosts can carry.
var aliasRE = utils.LazyRegexp(`^[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,253}[a-zA-Z0-9])?$`)

// ValidateAlias checks a --network-alias.
func ValidateAlias(alias string) error {
	if !aliasRE().MatchString(alias) {
		return errors.Errorf("invalid --network-alias %q: want a host name (letters, digits, '.', '-', '_')", alias)
	}
	return nil
}
