package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/container/spec"
)

var volumeCommand = cli.Command{
	Name:  "volume",
	Usage: "manage named volumes (data under <root>/volumes/NAME/_data)",
	Subcommands: []cli.Command{
		{
			Name:      "create",
			Usage:     "create a volume (a random name if none is given)",
			ArgsUsage: "[NAME]",
			Flags: []cli.Flag{
				cli.StringFlag{Name: "d, driver", Value: "local", Usage: "volume driver (local)"},
				repeatableFlag{Names: []string{"label"}, Usage: "set a label K=V"},
			},
			OnUsageError: onUsageError,
			Action:       volumeCreate,
		},
		{
			Name:         "ls",
			Aliases:      []string{"list"},
			Usage:        "list volumes",
			Flags:        []cli.Flag{cli.BoolFlag{Name: "q, quiet", Usage: "only names"}},
			OnUsageError: onUsageError,
			Action:       volumeList,
		},
		{
			Name:         "rm",
			Aliases:      []string{"remove"},
			Usage:        "remove volumes and their data; refused while a container uses one",
			ArgsUsage:    "NAME...",
			Flags:        []cli.Flag{cli.BoolFlag{Name: "f, force", Usage: "no error for a volume that does not exist"}},
			OnUsageError: onUsageError,
			Action:       volumeRemove,
		},
		{
			Name:         "inspect",
			Usage:        "show volumes as JSON",
			ArgsUsage:    "NAME...",
			Flags:        []cli.Flag{formatFlag},
			OnUsageError: onUsageError,
			Action:       volumeInspect,
		},
	},
}

func volumeStore(ctx *cli.Context) *container.VolumeStore {
	return container.NewStore(root(ctx)).Volumes()
}

func volumeCreate(ctx *cli.Context) error {
	if ctx.NArg() > 1 {
		return errors.New(`"volume create" takes at most one NAME`)
	}
	if d := ctx.String("driver"); d != "local" {
		return errors.Errorf("invalid --driver %q: only local is supported", d)
	}
	labels := map[string]string{}
	for _, l := range ctx.StringSlice("label") {
		k, v, _ := strings.Cut(l, "=")
		if k == "" {
			return errors.Errorf("invalid --label %q: want K=V", l)
		}
		labels[k] = v
	}
	vol, err := volumeStore(ctx).Create(ctx.Args().First(), labels)
	if err != nil {
		return err
	}
	fmt.Println(vol.Name)
	return nil
}

func volumeList(ctx *cli.Context) error {
	if ctx.NArg() > 0 {
		return errors.New(`"volume ls" takes no arguments`)
	}
	vols, errs := volumeStore(ctx).List()
	for _, err := range errs {
		log.Warn(err) // one unreadable volume must not hide the others
	}
	if ctx.Bool("quiet") {
		for _, v := range vols {
			fmt.Println(v.Name)
		}
		return nil
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 4, ' ', 0)
	fmt.Fprintln(w, "DRIVER\tVOLUME NAME")
	for _, v := range vols {
		fmt.Fprintf(w, "%s\t%s\n", v.Driver, v.Name)
	}
	return errors.Wrap(w.Flush(), "write volume list")
}

// noSuchVolume exits 1, as Docker does for a missing object.
func noSuchVolume(err error) error {
	var nf *container.VolumeNotFoundError
	if errors.As(err, &nf) {
		return &spec.ExitError{Code: 1, Err: err}
	}
	return err
}

func volumeRemove(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"volume rm" requires at least one NAME`)
	}
	store := volumeStore(ctx)
	return eachArg(ctx, func(name string) error {
		err := store.Remove(name)
		var nf *container.VolumeNotFoundError
		if errors.As(err, &nf) && ctx.Bool("force") {
			return nil
		}
		if errors.Is(err, container.ErrVolumeInUse) {
			return &spec.ExitError{Code: 1, Err: err}
		}
		if err != nil {
			return noSuchVolume(err)
		}
		fmt.Println(name)
		return nil
	})
}

func volumeInspect(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"volume inspect" requires at least one NAME`)
	}
	tmpl, err := inspectFormat(ctx)
	if err != nil {
		return err
	}
	store := volumeStore(ctx)
	out := []*container.Volume{}
	err = eachArg(ctx, func(name string) error {
		vol, err := store.Get(name)
		if err != nil {
			return noSuchVolume(err)
		}
		out = append(out, vol)
		return nil
	})
	return printInspect(tmpl, out, err)
}
