package main

import (
	"fmt"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/cgroups"
	"mydocker/container"
)

var updateCommand = cli.Command{
	Name:      "update",
	Usage:     "change the limits of containers: running ones now, stopped ones from their next start",
	ArgsUsage: "CONTAINER...",
	Flags: []cli.Flag{
		cli.StringFlag{Name: "m, memory", Usage: "memory limit: 32m, 1g (b, k, m, g)"},
		cli.StringFlag{Name: "memory-swap", Usage: "memory plus swap: 128m, -1 for unlimited swap"},
		cli.StringFlag{Name: "memory-reservation", Usage: "soft memory limit: 32m"},
		cli.StringFlag{Name: "cpus", Usage: "CPU limit as a number of CPUs: 0.5"},
		cli.StringFlag{Name: "cpu-shares", Usage: "relative CPU weight, 2 to 262144"},
		cli.StringFlag{Name: "cpu-weight", Usage: "relative CPU weight on cgroup v2's scale, 1 to 10000"},
		cli.StringFlag{Name: "cpu-period", Usage: "CFS period in microseconds, 1000 to 1000000"},
		cli.StringFlag{Name: "cpu-quota", Usage: "CPU time per period in microseconds, -1 for no limit"},
		cli.StringFlag{Name: "cpuset-cpus", Usage: "CPUs the container may run on: 0-1,3"},
		cli.StringFlag{Name: "pids-limit", Usage: "maximum number of processes"},
		cli.StringFlag{Name: "blkio-weight", Usage: "relative block I/O weight, 10 to 1000"},
	},
	Action: updateAction,
}

func updateAction(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"update" requires at least one CONTAINER`)
	}
	if ctx.NumFlags() == 0 {
		return errors.New(`"update" needs at least one limit to change (see mydocker update --help)`)
	}
	store := container.NewStore(root(ctx))
	return eachContainer(ctx, func(ref, id string) error {
		if err := updateContainer(ctx, store, id); err != nil {
			return err
		}
		fmt.Println(ref)
		return nil
	})
}

// updateContainer merges the flags into container id's limits and, if it
// runs, writes them to its cgroup, all under the container's lock so a
// parallel update, start or stop sees either the old limits or the new.
// The record changes only once the kernel has taken the new limits (it
// refuses, say, a memory limit below what the container already uses);
// a stopped container gets them when it next starts.
func updateContainer(ctx *cli.Context, store *container.Store, id string) error {
	_, err := store.Update(id, func(rec *container.Record) error {
		r := rec.Config.Resources
		if err := parseLimits(ctx, &r); err != nil {
			return err
		}
		if rec.State.Status == container.StatusRunning && rec.State.Alive() {
			cg, err := cgroups.New(rec.ID, rec.CgroupManager)
			if err != nil {
				return err
			}
			if err := cg.Set(&r); err != nil {
				return errors.Wrapf(err, "update %s", rec.Name)
			}
		}
		rec.Config.Resources = r
		return nil
	})
	return err
}
