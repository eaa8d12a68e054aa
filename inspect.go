package main

import (
	"encoding/json"
	"os"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
)

var inspectCommand = cli.Command{
	Name:      "inspect",
	Usage:     "show containers' records as JSON",
	ArgsUsage: "CONTAINER...",
	Action:    inspectAction,
}

func inspectAction(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"inspect" requires at least one CONTAINER`)
	}
	store := container.NewStore(root(ctx))
	recs := []*container.Record{}
	err := eachContainer(ctx, func(_, id string) error {
		rec, err := store.Get(id)
		if err != nil {
			return err
		}
		recs = append(recs, rec)
		return nil
	})
	// Print what was found even if some were not, as Docker does.
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "    ")
	if eerr := enc.Encode(recs); eerr != nil {
		return errors.Wrap(eerr, "write inspect output")
	}
	return err
}
