package main

import (
	"fmt"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
)

var waitCommand = cli.Command{
	Name:      "wait",
	Usage:     "wait until containers stop, then print their exit codes",
	ArgsUsage: "CONTAINER...",
	Action:    waitAction,
}

// waitAction waits for the containers in the order given, printing each
// code as it is known, as Docker does.
func waitAction(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"wait" requires at least one CONTAINER`)
	}
	store := container.NewStore(root(ctx))
	return eachContainer(ctx, func(ref, id string) error {
		code, err := store.WaitExit(id)
		var nf *container.NotFoundError
		if errors.As(err, &nf) {
			return errors.Errorf("no such container: %s (removed while waiting)", ref)
		}
		if err != nil {
			return err
		}
		fmt.Println(code)
		return nil
	})
}
