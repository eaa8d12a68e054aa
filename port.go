package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/network"
)

var portCommand = cli.Command{
	Name:      "port",
	Usage:     "list a running container's published ports",
	ArgsUsage: "CONTAINER [PRIVATE_PORT[/PROTO]]",
	Action:    portAction,
}

// portAction prints, as Docker does, "80/tcp -> 0.0.0.0:32768" for every
// published port, or with PRIVATE_PORT only the host side of its
// mappings. The ports are those of the current run (a free host port is
// chosen at each start): a container not running publishes none.
func portAction(ctx *cli.Context) error {
	if ctx.NArg() < 1 || ctx.NArg() > 2 {
		return errors.New(`"port" requires CONTAINER and at most one PRIVATE_PORT[/PROTO]`)
	}
	var want *network.PortMapping
	if ctx.NArg() == 2 {
		p, err := parsePrivatePort(ctx.Args().Get(1))
		if err != nil {
			return err
		}
		want = &p
	}
	store := container.NewStore(root(ctx))
	id, err := store.Resolve(ctx.Args().First())
	if err != nil {
		return err
	}
	rec, err := store.Get(id)
	if err != nil {
		return err
	}
	var ports []network.PortMapping
	if rec.State.Status == container.StatusRunning {
		ports = append(ports, rec.NetworkSettings.Ports...)
	}
	sort.SliceStable(ports, func(i, j int) bool {
		if ports[i].ContainerPort != ports[j].ContainerPort {
			return ports[i].ContainerPort < ports[j].ContainerPort
		}
		return ports[i].Protocol < ports[j].Protocol
	})
	var b strings.Builder
	for _, p := range ports {
		host := p.HostIP
		if host == "" {
			host = "0.0.0.0"
		}
		host += ":" + strconv.Itoa(p.HostPort)
		switch {
		case want == nil:
			fmt.Fprintf(&b, "%d/%s -> %s\n", p.ContainerPort, p.Protocol, host)
		case p.ContainerPort == want.ContainerPort && p.Protocol == want.Protocol:
			fmt.Fprintln(&b, host)
		}
	}
	if want != nil && b.Len() == 0 {
		return errors.Errorf("no public port '%d/%s' published for %s", want.ContainerPort, want.Protocol, rec.Name)
	}
	fmt.Print(b.String())
	return nil
}

// parsePrivatePort parses port's PRIVATE_PORT[/PROTO] (tcp by default).
func parsePrivatePort(s string) (network.PortMapping, error) {
	num, proto, ok := strings.Cut(s, "/")
	if !ok {
		proto = "tcp"
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != num || (proto != "tcp" && proto != "udp") {
		return network.PortMapping{}, errors.Errorf("invalid port %q: want PORT[/tcp|udp], PORT between 1 and 65535", s)
	}
	return network.PortMapping{ContainerPort: n, Protocol: proto}, nil
}
