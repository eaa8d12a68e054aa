package main

import (
	"fmt"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/container/spec"
)

var rmCommand = cli.Command{
	Name:      "rm",
	Usage:     "remove containers, their writable layer and everything they hold (never volume data)",
	ArgsUsage: "CONTAINER...",
	Flags: []cli.Flag{
		cli.BoolFlag{Name: "f, force", Usage: "kill running containers first"},
		cli.BoolFlag{Name: "v, volumes", Usage: "also remove the container's anonymous volumes (never named ones)"},
	},
	Action: rmAction,
}

func rmAction(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"rm" requires at least one CONTAINER`)
	}
	store := container.NewStore(root(ctx))
	return eachArg(ctx, func(ref string) error {
		if err := refuseInfra(ctx, store, ref); err != nil {
			return err
		}
		err := removeRef(store, ref, ctx.Bool("force"), ctx.Bool("volumes"))
		var nf *container.NotFoundError
		if errors.As(err, &nf) {
			// Name it as the user did, even when it vanished between
			// resolving and locking (a parallel rm won), and exit 1 as
			// Docker does.
			return &spec.ExitError{Code: 1, Err: errors.New("no such container: " + ref)}
		}
		return err
	})
}

func removeRef(store *container.Store, ref string, force, volumes bool) error {
	id, err := store.Resolve(ref)
	if err != nil {
		return err
	}
	remove := store.Remove
	if volumes {
		remove = store.RemoveWithVolumes
	}
	if err := remove(id, force); err != nil {
		return err
	}
	fmt.Println(ref)
	return nil
}
