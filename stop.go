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
	store := container.NewStore(root(ctx))
	return eachArg(ctx, func(ref string) error {
		id, err := store.Resolve(ref)
		if err != nil {
			return err
		}
		return fn(ref, id)
	})
}

// eachArg applies fn to every argument, going on after a failure. Every
// failure but the last is printed here; the last becomes the command's
// error, so the exit code says that something failed.
func eachArg(ctx *cli.Context, fn func(arg string) error) error {
	var last error
	for _, arg := range ctx.Args() {
		if err := fn(arg); err != nil {
			if last != nil {
				fmt.Fprintln(os.Stderr, "mydocker: "+last.Error())
			}
			last = err
		}
	}
	return last
}

// runningContainer resolves ref to a container that is running now.
func runningContainer(store *container.Store, ref string) (*container.Record, error) {
	id, err := store.Resolve(ref)
	if err != nil {
		return nil, err
	}
	rec, err := store.Get(id)
	if err != nil {
		return nil, err
	}
	if rec.State.Status != container.StatusRunning {
		return nil, errors.Errorf("container %s is not running", rec.Name)
	}
	return rec, nil
}
