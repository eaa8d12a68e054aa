package main

import (
	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/network"
)

var networkInspectCommand = cli.Command{
	Name:         "inspect",
	Usage:        "show networks' details as JSON, with their running containers",
	ArgsUsage:    "NETWORK...",
	Flags:        []cli.Flag{formatFlag},
	OnUsageError: onUsageError,
	Action:       networkInspect,
}

func networkInspect(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"network inspect" requires at least one NETWORK`)
	}
	tmpl, err := inspectFormat(ctx)
	if err != nil {
		return err
	}
	store, nets := container.NewStore(root(ctx)), network.NewStore(root(ctx))
	out := []*network.Inspect{}
	err = eachArg(ctx, func(name string) error {
		v, err := inspectNetwork(store, nets, name)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	return printInspect(tmpl, out, err)
}
