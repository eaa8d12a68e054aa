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
	wait, err := stopWait(ctx)
	if err != nil {
		return err
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

// stopWait is -t of stop and restart: how long the stop signal has before
// SIGKILL; -1 when not given, for the container's --stop-timeout, else 10s.
func stopWait(ctx *cli.Context) (time.Duration, error) {
	timeout := ctx.Int("time")
	if timeout < 0 {
		return 0, errors.Errorf("invalid -t %d: must not be negative", timeout)
	}
	if !ctx.IsSet("time") {
		return -1, nil
	}
	return time.Duration(timeout) * time.Second, nil
}
