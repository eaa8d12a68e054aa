package main

import (
	"fmt"
	"time"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
)

var stopCommand = cli.Command{
	Name:      "stop",
	Usage:     "stop running containers: SIGTERM, then SIGKILL after a timeout",
	ArgsUsage: "CONTAINER...",
	Flags: []cli.Flag{
		cli.IntFlag{Name: "t, time", Value: 10, Usage: "seconds to wait before SIGKILL (default: the container's --stop-timeout, else 10)"},
	},
	Action: stopAction,
}

func stopAction(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"stop" requires at least one CONTAINER`)
	}
	timeout := ctx.Int("time")
	if timeout < 0 {
		return errors.Errorf("invalid -t %d: must not be negative", timeout)
	}
	wait := time.Duration(timeout) * time.Second
	if !ctx.IsSet("time") {
		wait = -1 // the container's --stop-timeout, else 10s
	}
	store := container.NewStore(root(ctx))
	return eachContainer(ctx, func(ref, id string) error {
		if err := store.Stop(id, wait); err != nil {
			return err
		}
		fmt.Println(ref)
		return nil
	})
}
