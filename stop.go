package main

import (
	"fmt"
	"os"
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
		cli.IntFlag{Name: "t, time", Value: 10, Usage: "seconds to wait before SIGKILL"},
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
	store := container.NewStore(root(ctx))
	return eachContainer(ctx, func(ref, id string) error {
		if err := store.Stop(id, time.Duration(timeout)*time.Second); err != nil {
			return err
		}
		fmt.Println(ref)
		return nil
	})
}

// eachContainer applies fn to every CONTAINER argument, going on after a
// failure as Docker does, and fails if any did.
func eachContainer(ctx *cli.Context, fn func(ref, id string) error) error {
	var failed []error
	store := container.NewStore(root(ctx))
	for _, ref := range ctx.Args() {
		id, err := store.Resolve(ref)
		if err == nil {
			err = fn(ref, id)
		}
		if err != nil {
			failed = append(failed, err)
		}
	}
	switch len(failed) {
	case 0:
		return nil
	case 1:
		return failed[0]
	}
	for _, err := range failed[:len(failed)-1] {
		fmt.Fprintln(os.Stderr, "mydocker: "+err.Error())
	}
	return failed[len(failed)-1]
}
