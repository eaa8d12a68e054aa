package main

import (
	"fmt"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
)

var restartCommand = cli.Command{
	Name:      "restart",
	Usage:     "stop containers (as stop does) and start them again",
	ArgsUsage: "CONTAINER...",
	Flags: []cli.Flag{
		cli.IntFlag{Name: "t, time", Value: 10, Usage: "seconds to wait for the stop signal before SIGKILL (default: the container's --stop-timeout, else 10)"},
	},
	Action: restartAction,
}

func restartAction(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"restart" requires at least one CONTAINER`)
	}
	wait, err := stopWait(ctx)
	if err != nil {
		return err
	}
	store := container.NewStore(root(ctx))
	return eachContainer(ctx, func(ref, id string) error {
		// Stop records the exit and releases the mounts before it
		// returns; a stopped or created container is only started.
		if err := store.Stop(id, wait); err != nil {
			return err
		}
		if err := startDetached(ctx, id); err != nil {
			return err
		}
		if rec, err := store.Load(id); err == nil {
			store.Emit("restart", rec, nil)
		}
		fmt.Println(ref)
		return nil
	})
}
