package main

import (
	"fmt"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
)

var diffCommand = cli.Command{
	Name:      "diff",
	Usage:     "list the files a container added (A), changed (C) or deleted (D)",
	ArgsUsage: "CONTAINER",
	Action:    diffAction,
}

func diffAction(ctx *cli.Context) error {
	if ctx.NArg() != 1 {
		return errors.New(`"diff" requires exactly one CONTAINER`)
	}
	store := container.NewStore(root(ctx))
	id, err := store.Resolve(ctx.Args().First())
	if err != nil {
		return err
	}
	changes, err := store.Diff(id)
	if err != nil {
		return err
	}
	for _, c := range changes {
		fmt.Println(c.Kind, c.Path)
	}
	return nil
}
