package main

import (
	"fmt"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
)

var pauseCommand = cli.Command{
	Name:      "pause",
	Usage:     "freeze every process of running containers",
	ArgsUsage: "CONTAINER...",
	Action:    func(ctx *cli.Context) error { return pauseAction(ctx, "pause", (*container.Store).Pause) },
}

var unpauseCommand = cli.Command{
	Name:      "unpause",
	Usage:     "let the processes of paused containers run again",
	ArgsUsage: "CONTAINER...",
	Action:    func(ctx *cli.Context) error { return pauseAction(ctx, "unpause", (*container.Store).Unpause) },
}

// pauseAction applies pause or unpause to each container, printing each
// name as Docker does.
func pauseAction(ctx *cli.Context, name string, fn func(*container.Store, string) error) error {
	if ctx.NArg() == 0 {
		return errors.Errorf(`"%s" requires at least one CONTAINER`, name)
	}
	store := container.NewStore(root(ctx))
	return eachContainer(ctx, func(ref, id string) error {
		if err := fn(store, id); err != nil {
			return err
		}
		if rec, err := store.Load(id); err == nil {
			store.Emit(name, rec, nil)
		}
		fmt.Println(ref)
		return nil
	})
}
