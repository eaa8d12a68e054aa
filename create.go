package main

import (
	"fmt"

	"github.com/pkg/errors"
	"github.com/urfave/cli"
)

// createCommand takes run's flags (the same list, whatever is added to
// it), so a container created and then started is the one run would run.
var createCommand = cli.Command{
	Name:                   "create",
	Usage:                  "create a container without starting it (start runs it)",
	ArgsUsage:              "IMAGE [COMMAND [ARG...]]",
	SkipArgReorder:         true,
	UseShortOptionHandling: true,
	Flags:                  runCommand.Flags,
	Action:                 createAction,
}

func createAction(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"create" requires an IMAGE: mydocker create [flags] IMAGE [COMMAND...]`)
	}
	_, _, rec, err := createContainer(ctx)
	if err != nil {
		return err
	}
	fmt.Println(rec.ID)
	return nil
}
