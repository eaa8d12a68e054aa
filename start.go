package main

import (
	"fmt"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
)

var startCommand = cli.Command{
	Name:      "start",
	Usage:     "start stopped containers again, with their files, volumes and settings",
	ArgsUsage: "CONTAINER...",
	Action:    startAction,
}

func startAction(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"start" requires at least one CONTAINER`)
	}
	store := container.NewStore(root(ctx))
	return eachContainer(ctx, func(ref, id string) error {
		rec, err := store.Get(id)
		if err != nil {
			return err
		}
		if rec.State.Status == container.StatusRunning {
			fmt.Println(ref) // already running: nothing to do, as Docker
			return nil
		}
		// A started container runs detached under its own monitor, as run -d.
		if err := startDetached(ctx, id); err != nil {
			return err
		}
		fmt.Println(ref)
		return nil
	})
}
