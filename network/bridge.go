package network

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"

	"mydocker/trace"
)

// setupBridge makes n's bridge with the gateway address, turns forwarding
// on and adds the network's NAT and forwarding rules.
func setupBridge(n *Network, own ownership) error {
	_, subnet, err := net.ParseCIDR(n.Subnet)
	if err != nil {
		return errors.Wrapf(err, "subnet of %s", n.Name)
	}
	// The group and address come with the request that creates it: no
	// moment exists when the bridge is ours but does not say so
	// (bridgename.go).
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: n.Bridge, Group: bridgeGroup, HardwareAddr: own.mac}}
	done := trace.Begin(trace.Bridge, "ip link add %s type bridge", n.Bridge)
	err = netlink.LinkAdd(br)
	done(err)
	if err != nil {
		return errors.Wrapf(err, "create bridge %s", n.Bridge)
	}
	link, err := netlink.LinkByName(n.Bridge)
	if err != nil {
		return errors.Wrapf(err, "find bridge %s", n.Bridge)
	}
	ones, _ := subnet.Mask.Size()
	addr, err := netlink.ParseAddr(n.Gateway + "/" + strconv.Itoa(ones))
	if err != nil {
		return errors.Wrap(err, "gateway address")
	}
	done = trace.Begin(trace.Bridge, "ip addr add %s/%d dev %s", n.Gateway, ones, n.Bridge)
	err = netlink.AddrAdd(link, addr)
	done(err)
	if err != nil {
		return errors.Wrapf(err, "add %s to %s", addr, n.Bridge)
	}
	done = trace.Begin(trace.Bridge, "ip link set %s up", n.Bridge)
	err = netlink.LinkSetUp(link)
	done(err)
	if err != nil {
		return errors.Wrapf(err, "bring %s up", n.Bridge)
	}
	if err := sysctl("net/ipv4/ip_forward", "1"); err != nil {
		return err
	}
	// Published ports are reachable on 127.0.0.1: connections from the
	// host's loopback address are routed to the bridge and masqueraded.
	// route_localnet also makes the host accept packets for 127.0.0.0/8
	// arriving on the bridge, which would let a container with CAP_NET_RAW
	// reach services bound to the host's loopback (CVE-2020-8558): the
	// INPUT rule below drops those, except replies to the host's own
	// connections and packets DNAT'ed to a published port.
	if err := sysctl("net/ipv4/conf/"+n.Bridge+"/route_localnet", "1"); err != nil {
		return err
	}
	rules := []rule{
		{"nat", "POSTROUTING", []string{"-s", n.Subnet, "!", "-o", n.Bridge, "-j", "MASQUERADE"}},
		{"nat", "POSTROUTING", []string{"-s", "127.0.0.0/8", "-o", n.Bridge, "-j", "MASQUERADE"}},
	}
	if err := addRules(rules, own.comment, false); err != nil {
		return err
	}
	// Inserted first, so a host whose INPUT or FORWARD policy is DROP
	// still forwards, and nothing accepts first what these drop. Each
	// rule matches this bridge by name, so their order against other
	// networks' rules (of this or another state root, in any order) never
	// matters; only their order here does: -I puts the last one first.
	// Another mydocker bridge is one in bridgeGroup or, made before
	// bridges had a group, named bridgePattern (bridgename.go).
	group := fmt.Sprintf("%#x", bridgeGroup)
	newOnly := []string{"-m", "conntrack", "!", "--ctstate", "RELATED,ESTABLISHED,DNAT", "-j", "DROP"}
	forward := []rule{
		// Replies from the world and other hosts' connections to it.
		{"filter", "FORWARD", []string{"-o", n.Bridge, "!", "-i", bridgePattern, "-m", "devgroup", "!", "--src-group", group, "-j", "ACCEPT"}},
		// Everything it sends that the rules above let through.
		{"filter", "FORWARD", []string{"-i", n.Bridge, "-j", "ACCEPT"}},
		// Isolation: nothing new to another mydocker network, except
		// through a published port (DNAT) and replies to those.
		{"filter", "FORWARD", append([]string{"-i", n.Bridge, "-o", bridgePattern}, newOnly...)},
		{"filter", "FORWARD", append([]string{"-i", n.Bridge, "-m", "devgroup", "--dst-group", group}, newOnly...)},
	}
	if !strings.HasPrefix(n.Bridge, bridgePrefix) {
		// A bridge made before groups isolates itself only from bridges
		// named by the pattern: this one refuses it.
		forward = append(forward, rule{"filter", "FORWARD", append([]string{"-i", bridgePattern, "-o", n.Bridge}, newOnly...)})
	}
	forward = append(forward,
		// Containers on the same network (seen here with br_netfilter).
		rule{"filter", "FORWARD", []string{"-i", n.Bridge, "-o", n.Bridge, "-j", "ACCEPT"}},
		rule{"filter", "INPUT", append([]string{"-i", n.Bridge, "-d", "127.0.0.0/8"}, newOnly...)},
	)
	if err := addRules(forward, own.comment, true); err != nil {
		return err
	}
	log.Debugf("bridge %s up with %s/%d", n.Bridge, n.Gateway, ones)
	return nil
}

// teardownBridge removes n's rules and bridge; parts already gone are
// fine, and a device of that name that is not ours is left alone.
func teardownBridge(n *Network, own ownership) error {
	if err := deleteRules(own.comment, "nat", "filter"); err != nil {
		return err
	}
	link, err := netlink.LinkByName(n.Bridge)
	if err != nil {
		if _, ok := err.(netlink.LinkNotFoundError); ok {
			return nil
		}
		return errors.Wrapf(err, "find bridge %s", n.Bridge)
	}
	if !own.isOurs(n, link) {
		log.Debugf("not deleting %s: not network %s's bridge", n.Bridge, n.Name)
		return nil
	}
	done := trace.Begin(trace.Bridge, "ip link del %s", n.Bridge)
	err = netlink.LinkDel(link)
	done(err)
	return errors.Wrapf(err, "delete bridge %s", n.Bridge)
}

type hostRoute struct {
	dst *net.IPNet
	dev string
}

// hostRoutes lists the host's IPv4 routes to specific networks (not the
// default route, which every subnet would overlap).
func hostRoutes() ([]hostRoute, error) {
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, errors.Wrap(err, "list host routes")
	}
	var out []hostRoute
	for _, r := range routes {
		if r.Dst == nil {
			continue
		}
		if ones, _ := r.Dst.Mask.Size(); ones == 0 {
			continue
		}
		dev := ""
		if l, err := netlink.LinkByIndex(r.LinkIndex); err == nil {
			dev = l.Attrs().Name
		}
		out = append(out, hostRoute{dst: r.Dst, dev: dev})
	}
	return out, nil
}
