package network

import (
	"crypto/sha256"
	"net"
	"strings"

	"github.com/pkg/errors"
	"github.com/vishvananda/netlink"
)

// Bridge names. The series names a network's bridge after the network
// (`ip link show testbridge`), and so do we when that name is a free,
// valid interface name of a network the user created; else, and for
// the default network, the bridge gets the generated name
// bridgePrefix+hash of root and network (store.go's bridgeName).
//
// Two things used to rest on every bridge having the generated name, and
// no longer may:
//   - Isolation between networks (bridge.go) matched every mydocker
//     bridge by the name pattern mdbr+. Every bridge now also carries the
//     interface group bridgeGroup, set in the request that creates it,
//     and the rules match other networks by that group (iptables'
//     devgroup match) as well as by the pattern (bridges made before
//     this change have no group).
//   - Rollback and rm delete a bridge by name. A name like testbridge may
//     be anyone's, so a bridge that does not have the generated name is
//     deleted only if it is ours: it has our group and the MAC address
//     derived, like the generated name, from the root and the network
//     (also set when it is created, so a create killed at any point
//     leaves a bridge we recognise). Its iptables rules carry a comment
//     with both its name and the generated one, which is unique to the
//     root and the network, so rolling back a killed create never
//     removes the rules of another root's network that took the same
//     bridge name since.

// bridgeGroup is the interface group of every mydocker bridge.
const bridgeGroup = 0x6d646272 // "mdbr"

// ownership is how a network's bridge and rules are recognised as ours.
type ownership struct {
	mac     net.HardwareAddr // the bridge's address
	comment string           // on each of its iptables rules
}

// owner is the ownership of network n of this root, with bridge n.Bridge.
func (s *Store) owner(n *Network) ownership {
	sum := sha256.Sum256([]byte(s.root + "\x00" + n.Name + "\x00mac"))
	mac := net.HardwareAddr(sum[:6])
	mac[0] = mac[0]&^1 | 2 // unicast, locally administered
	comment := netComment(n.Bridge)
	if generated := s.bridgeName(n.Name); n.Bridge != generated {
		comment = netComment(n.Bridge + "@" + generated)
	}
	return ownership{mac: mac, comment: comment}
}

// chooseBridge is the bridge name for a new network: its own name when
// the user made it and it is a free interface name, else the generated
// one. The caller holds the machine-wide subnet lock, which every
// mydocker's create takes, so two roots cannot choose one name at once;
// another program taking it in between makes the create fail, and the
// rollback leaves that program's device alone (it is not ours).
func (s *Store) chooseBridge(name string) (string, error) {
	if !UserDefined(name) || !validIfName(name) || strings.HasPrefix(name, bridgePrefix) {
		// A name with our prefix could be another root's generated name,
		// which its rollback would delete by name.
		return s.bridgeName(name), nil
	}
	_, err := netlink.LinkByName(name)
	if _, ok := err.(netlink.LinkNotFoundError); ok {
		return name, nil
	}
	if err != nil {
		return "", errors.Wrapf(err, "look up interface %s", name)
	}
	return s.bridgeName(name), nil
}

// validIfName reports whether name can name a network interface: at most
// 15 bytes, not . or .., no / or white space (network names have none).
func validIfName(name string) bool {
	return name != "" && len(name) <= 15 && name != "." && name != ".." && !strings.ContainsAny(name, "/: \t\n")
}

// isOurs reports whether link may be deleted as network n's bridge.
func (o ownership) isOurs(n *Network, link netlink.Link) bool {
	if strings.HasPrefix(n.Bridge, bridgePrefix) {
		return true // a generated name is this root's and network's alone
	}
	a := link.Attrs()
	return a.Group == bridgeGroup && a.HardwareAddr.String() == o.mac.String()
}
