package main

import (
	"fmt"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
)

var killCommand = cli.Command{
	Name:      "kill",
	Usage:     "send a signal to running containers (default SIGKILL)",
	ArgsUsage: "CONTAINER...",
	Flags: []cli.Flag{
		cli.StringFlag{Name: "s, signal", Value: "KILL", Usage: "signal: a name (SIGTERM, TERM, term) or a number"},
	},
	Action: killAction,
}

func killAction(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"kill" requires at least one CONTAINER`)
	}
	sig, err := container.ParseSignal(ctx.String("signal"))
	if err != nil {
		return errors.Wrap(err, "--signal")
	}
	store := container.NewStore(root(ctx))
	return eachContainer(ctx, func(ref, id string) error {
		if err := store.Kill(id, sig); err != nil {
			return err
		}
		fmt.Println(ref)
		return nil
	})
}
