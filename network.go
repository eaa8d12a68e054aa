package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/network"
)

var networkCommand = cli.Command{
	Name:  "network",
	Usage: "manage bridge networks",
	Subcommands: []cli.Command{
		{
			Name:      "create",
			Usage:     "create a bridge network",
			ArgsUsage: "NAME",
			Flags: []cli.Flag{
				cli.StringFlag{Name: "driver", Value: "bridge", Usage: "network driver (bridge)"},
				cli.StringFlag{Name: "subnet", Usage: "IPv4 subnet, e.g. 10.20.0.0/24"},
			},
			OnUsageError: onUsageError,
			Action:       networkCreate,
		},
		{
			Name:         "list",
			Aliases:      []string{"ls"},
			Usage:        "list networks",
			OnUsageError: onUsageError,
			Action:       networkList,
		},
		{
			Name:         "remove",
			Aliases:      []string{"rm"},
			Usage:        "remove networks no container uses",
			ArgsUsage:    "NAME...",
			OnUsageError: onUsageError,
			Action:       networkRemove,
		},
		networkInspectCommand,
	},
}

func networkCreate(ctx *cli.Context) error {
	if ctx.NArg() != 1 {
		return errors.New(`"network create" requires exactly one NAME`)
	}
	if ctx.String("subnet") == "" {
		return errors.New(`"network create" requires --subnet CIDR`)
	}
	n, err := network.NewStore(root(ctx)).Create(ctx.Args().First(), ctx.String("driver"), ctx.String("subnet"))
	if err != nil {
		return err
	}
	fmt.Println(n.Name)
	return nil
}

func networkList(ctx *cli.Context) error {
	nets, errs := network.NewStore(root(ctx)).List()
	for _, err := range errs {
		log.Warn(err) // one unreadable file must not hide the other networks
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "NAME\tDRIVER\tSUBNET\tGATEWAY\tBRIDGE")
	for _, n := range nets {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", n.Name, n.Driver, n.Subnet, n.Gateway, n.Bridge)
	}
	return errors.Wrap(w.Flush(), "write network list")
}

func networkRemove(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"network remove" requires at least one NAME`)
	}
	store := network.NewStore(root(ctx))
	containers := container.NewStore(root(ctx))
	// Exited containers' addresses are freed, as Docker removes a network
	// its stopped containers were on (the series' chapter 17 session).
	stopped := func(id string) bool {
		rec, err := containers.Get(id)
		var nf *container.NotFoundError
		if errors.As(err, &nf) {
			return true // its rm was killed before it freed the address
		}
		return err == nil && rec.State.Status == container.StatusExited
	}
	return eachArg(ctx, func(name string) error {
		if err := store.RemoveFreeing(name, stopped); err != nil {
			return err
		}
		fmt.Println(name)
		return nil
	})
}
