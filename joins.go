package main

import (
	"strings"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
)

// joinFlags are run's and create's flags for namespaces shared with the
// host or another container.
var joinFlags = []cli.Flag{
	cli.StringFlag{Name: "ipc", Usage: "ipc namespace: private (default), shareable, host or container:NAME"},
	cli.StringFlag{Name: "pid", Usage: "pid namespace: its own (default), host or container:NAME"},
	cli.StringFlag{Name: "uts", Usage: "uts namespace (hostname): its own (default), host or container:NAME"},
}

// run and create take them (create's list is run's).
func init() {
	runCommand.Flags = append(runCommand.Flags, joinFlags...)
	createCommand.Flags = runCommand.Flags
}

// parseJoinFlags checks --ipc, --pid, --uts and --network
// container:NAME against each other and the other flags, as Docker and
// podman refuse them, before anything is created.
func parseJoinFlags(ctx *cli.Context, o *runOptions) error {
	c := &o.config
	for _, f := range []struct {
		flag string
		dst  *string
	}{{"ipc", &c.IpcMode}, {"pid", &c.PidMode}, {"uts", &c.UTSMode}} {
		v := ctx.String(f.flag)
		if err := container.ParseNamespaceMode(f.flag, v); err != nil {
			return err
		}
		*f.dst = v
	}
	if c.IpcMode == container.ModePrivate {
		c.IpcMode = ""
	}
	if strings.HasPrefix(c.Network, container.ModeContainer) {
		if container.JoinedID(c.Network) == "" {
			return errors.Errorf("invalid --network %q: container:NAME names no container", c.Network)
		}
		switch {
		case len(c.Ports) > 0 || c.PublishAllPorts:
			return errors.New("conflicting options: port publishing and the container type network mode")
		case ctx.IsSet("hostname"):
			return errors.New("conflicting options: hostname and the network mode")
		case len(c.DNS) > 0 || len(c.DNSSearch) > 0 || len(c.DNSOptions) > 0:
			return errors.New("conflicting options: dns and the network mode")
		case len(c.ExtraHosts) > 0:
			return errors.New("conflicting options: custom host-to-IP mapping and the network mode")
		}
	}
	if c.UTSMode != "" && ctx.IsSet("hostname") {
		return errors.New("conflicting options: hostname and the UTS mode")
	}
	return nil
}

// applyJoins resolves every container:NAME of o to the container's ID.
func applyJoins(ctx *cli.Context, o *runOptions) error {
	return container.NewStore(root(ctx)).ResolveJoins(&o.config)
}
