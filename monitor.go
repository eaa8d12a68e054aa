package main

import (
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/trace"
)

// startDetached starts container id under its own monitor, passing our
// global flags on, and returns once the container runs.
func startDetached(ctx *cli.Context, id string) error {
	return container.NewStore(root(ctx)).StartMonitor(monitorArgs(ctx, id, nil))
}

// resumeDetached hands the restart loop of container id, which this
// foreground run leaves, over to a monitor of its own.
func resumeDetached(ctx *cli.Context, id string, r *container.Resume) error {
	return container.NewStore(root(ctx)).StartMonitor(monitorArgs(ctx, id, r))
}

func monitorArgs(ctx *cli.Context, id string, r *container.Resume) container.MonitorArgs {
	return container.MonitorArgs{Root: root(ctx), LogLevel: ctx.GlobalString("log-level"),
		Debug: ctx.GlobalBool("debug"), Trace: trace.On(), Resume: r, ID: id}
}
