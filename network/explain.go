package network

import (
	"strings"

	"github.com/pkg/errors"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Device is a network device as `mydocker explain` shows it.
type Device struct {
	Name  string   `json:"Name"`
	Type  string   `json:"Type"` // veth, loopback, ...
	State string   `json:"State"`
	MAC   string   `json:"MAC,omitempty"`
	Addrs []string `json:"Addrs"`
}

// Devices lists the devices in pid's network namespace with their IPv4
// addresses, read there through netlink.
func Devices(pid int) ([]Device, error) {
	ns, err := netns.GetFromPid(pid)
	if err != nil {
		return nil, errors.Wrapf(err, "network namespace of pid %d", pid)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return nil, errors.Wrap(err, "netlink in container")
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil {
		return nil, errors.Wrap(err, "list the container's devices")
	}
	var out []Device
	for _, l := range links {
		a := l.Attrs()
		d := Device{Name: a.Name, Type: l.Type(), State: a.OperState.String(), MAC: a.HardwareAddr.String(), Addrs: []string{}}
		addrs, err := h.AddrList(l, netlink.FAMILY_V4)
		if err != nil {
			return nil, errors.Wrapf(err, "addresses of %s", a.Name)
		}
		for _, addr := range addrs {
			d.Addrs = append(d.Addrs, addr.IPNet.String())
		}
		out = append(out, d)
	}
	return out, nil
}

// Rules lists the iptables rules of container id (its published ports)
// and of the network on bridge (its NAT and forwarding), as iptables -S
// prints them.
func Rules(id, bridge string) ([]string, error) {
	out := []string{}
	for _, table := range []string{"nat", "filter"} {
		lines, err := iptables("-t", table, "-S")
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(lines, "\n") {
			fields := strings.Fields(line)
			if hasComment(fields, ctrComment(id)) || (bridge != "" && hasComment(fields, netComment(bridge))) {
				out = append(out, "-t "+table+" "+line)
			}
		}
	}
	return out, nil
}
