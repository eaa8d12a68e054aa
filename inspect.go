package main

import (
	"encoding/json"
	"os"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/image"
)

var inspectCommand = cli.Command{
	Name:      "inspect",
	Usage:     "show containers' records or images' details as JSON",
	ArgsUsage: "CONTAINER|IMAGE...",
	Flags:     []cli.Flag{cli.StringFlag{Name: "type", Usage: "container or image (default: a container if one has the name, else an image)"}},
	Action:    inspectAction,
}

func inspectAction(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"inspect" requires at least one CONTAINER or IMAGE`)
	}
	store := container.NewStore(root(ctx))
	images := image.NewStore(root(ctx))
	typ := ctx.String("type")
	if typ != "" && typ != "container" && typ != "image" {
		return errors.Errorf("invalid --type %q: container or image", typ)
	}
	out := []any{}
	// As Docker: a container by that name first, else an image.
	err := eachArg(ctx, func(ref string) error {
		var cerr error
		if typ != "image" {
			id, err := store.Resolve(ref)
			if err == nil {
				rec, err := store.Get(id)
				if err != nil {
					return err
				}
				// As docker inspect: Status "paused" beside Paused true.
				rec.State.Status = rec.State.DisplayStatus()
				out = append(out, rec)
				return nil
			}
			if cerr = err; typ == "container" || !errors.As(err, new(*container.NotFoundError)) {
				return err
			}
		}
		img, err := images.Get(ref)
		if err != nil {
			if cerr != nil && errors.Cause(err) == image.ErrNotFound {
				return errors.Errorf("no such object: %s", ref)
			}
			return err
		}
		out = append(out, images.Inspect(img))
		return nil
	})
	return printInspect(out, err)
}

// printInspect prints what was found as a JSON array even if some
// arguments were not (err), as Docker does, and returns err.
func printInspect(found any, err error) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "    ")
	if eerr := enc.Encode(found); eerr != nil {
		return errors.Wrap(eerr, "write inspect output")
	}
	return err
}
