package main

import (
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/trace"
)

var monitorCommand = cli.Command{
	Name:   container.MonitorCommand,
	Usage:  "internal: watch one detached container until it exits",
	Hidden: true,
	Action: func(ctx *cli.Context) error {
		return container.NewStore(root(ctx)).Monitor(ctx.Args().First(), ctx.GlobalBool("debug"))
	},
}

// startDetached starts container id under its own monitor, passing our
// global flags on, and returns once the container runs.
func startDetached(ctx *cli.Context, id string) error {
	args := []string{"--root", root(ctx), "--log-level", ctx.GlobalString("log-level")}
	if ctx.GlobalBool("debug") {
		args = append(args, "--debug")
	}
	if trace.On() {
		args = append(args, "--trace")
	}
	return container.NewStore(root(ctx)).StartMonitor(id, args)
}
