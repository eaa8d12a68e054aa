package main

import (
	"fmt"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
)

var rmCommand = cli.Command{
	Name:      "rm",
	Usage:     "remove containers, their writable layer and everything they hold (never volume data)",
	ArgsUsage: "CONTAINER...",
	Flags: []cli.Flag{
		cli.BoolFlag{Name: "f, force", Usage: "kill running containers first"},
	},
	Action: rmAction,
}

func rmAction(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"rm" requires at least one CONTAINER`)
	}
	store := container.NewStore(root(ctx))
	return eachContainer(ctx, func(ref, id string) error {
		if err := store.Remove(id, ctx.Bool("force")); err != nil {
			return err
		}
		fmt.Println(ref)
		return nil
	})
}
