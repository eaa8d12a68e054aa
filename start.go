package main

import (
	"fmt"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
)

var startCommand = cli.Command{
	Name:      "start",
	Usage:     "start created or stopped containers, with their files, volumes and settings",
	ArgsUsage: "CONTAINER...",
	Flags: []cli.Flag{
		cli.BoolFlag{Name: "a, attach", Usage: "print the container's output and exit with its exit code"},
		cli.BoolFlag{Name: "i, interactive", Usage: "pass stdin to the container (with -a)"},
	},
	Action: startAction,
}

func startAction(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"start" requires at least one CONTAINER`)
	}
	store := container.NewStore(root(ctx))
	if ctx.Bool("attach") || ctx.Bool("interactive") {
		if ctx.NArg() > 1 {
			// As Docker: one terminal cannot carry several containers.
			return errors.New("you cannot start and attach multiple containers at once")
		}
		return startAttached(ctx, store, ctx.Args().First())
	}
	return eachContainer(ctx, func(ref, id string) error {
		rec, err := store.Get(id)
		if err != nil {
			return err
		}
		if rec.State.Status == container.StatusRunning {
			fmt.Println(ref) // already running: nothing to do, as Docker
			return nil
		}
		if err := startPodInfra(ctx, rec); err != nil {
			return err
		}
		// A started container runs detached under its own monitor, as run -d.
		if err := startDetached(ctx, id); err != nil {
			return err
		}
		fmt.Println(ref)
		return nil
	})
}

// startAttached runs container ref with this process as its monitor, as
// a foreground run does: its output is ours and so is its exit code.
// Stdin is passed on with -i, if the container was created with -i.
func startAttached(ctx *cli.Context, store *container.Store, ref string) error {
	id, err := store.Resolve(ref)
	if err != nil {
		return err
	}
	rec, err := store.Get(id)
	if err != nil {
		return err
	}
	if rec.State.Status == container.StatusRunning {
		return errors.Errorf("container %s is already running: use logs -f to follow it", rec.Name)
	}
	stdin := ctx.Bool("interactive") && rec.Config.OpenStdin
	return runForeground(ctx, store, rec, stdin, false, "")
}
