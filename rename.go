package main

import (
	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
)

var renameCommand = cli.Command{
	Name:      "rename",
	Usage:     "rename a container",
	ArgsUsage: "CONTAINER NEW_NAME",
	Action:    renameAction,
}

func renameAction(ctx *cli.Context) error {
	if ctx.NArg() != 2 {
		return errors.New(`"rename" requires exactly two arguments: CONTAINER NEW_NAME`)
	}
	store := container.NewStore(root(ctx))
	id, err := store.Resolve(ctx.Args().Get(0))
	if err != nil {
		return err
	}
	return store.Rename(id, ctx.Args().Get(1))
}
