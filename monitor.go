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
	Flags: []cli.Flag{
		cli.StringFlag{Name: "resume-after", Usage: "take over a restart loop: restart after this delay"},
		cli.StringFlag{Name: "resume-from", Usage: "take over a restart loop from PID:STARTTIME"},
	},
	Action: func(ctx *cli.Context) error {
		var resume *container.Resume
		if ctx.IsSet("resume-after") || ctx.IsSet("resume-from") {
			var err error
			if resume, err = container.ParseResume(ctx.String("resume-after"), ctx.String("resume-from")); err != nil {
				return err
			}
		}
		return container.NewStore(root(ctx)).Monitor(ctx.Args().First(), ctx.GlobalBool("debug"), resume)
	},
}

// startDetached starts container id under its own monitor, passing our
// global flags on, and returns once the container runs.
func startDetached(ctx *cli.Context, id string) error {
	return container.NewStore(root(ctx)).StartMonitor(id, monitorGlobalArgs(ctx), nil)
}

// resumeDetached hands the restart loop of container id, which this
// foreground run leaves, over to a monitor of its own.
func resumeDetached(ctx *cli.Context, id string, r *container.Resume) error {
	return container.NewStore(root(ctx)).StartMonitor(id, monitorGlobalArgs(ctx), r)
}

func monitorGlobalArgs(ctx *cli.Context) []string {
	args := []string{"--root", root(ctx), "--log-level", ctx.GlobalString("log-level")}
	if ctx.GlobalBool("debug") {
		args = append(args, "--debug")
	}
	if trace.On() {
		args = append(args, "--trace")
	}
	return args
}
