package main

import (
	"fmt"
	"os"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/network"
)

var startCommand = cli.Command{
	Name:      "start",
	Usage:     "start created or stopped containers, with their files, volumes and settings",
	ArgsUsage: "CONTAINER...",
	Flags: []cli.Flag{
		cli.BoolFlag{Name: "a, attach", Usage: "print the container's output and exit with its exit code"},
		cli.BoolFlag{Name: "i, interactive", Usage: "pass stdin to the container (with -a)"},
		cli.BoolFlag{Name: "all-restartable", Usage: "start every stopped container whose --restart policy wants it running (always; unless-stopped unless stopped by the user): for a boot-time unit"},
	},
	Action: startAction,
}

func startAction(ctx *cli.Context) error {
	store := container.NewStore(root(ctx))
	if ctx.Bool("all-restartable") {
		if ctx.NArg() > 0 || ctx.Bool("attach") || ctx.Bool("interactive") {
			return errors.New("--all-restartable takes no CONTAINER, -a or -i")
		}
		return startRestartable(ctx, store)
	}
	if ctx.NArg() == 0 {
		return errors.New(`"start" requires at least one CONTAINER`)
	}
	if ctx.Bool("attach") || ctx.Bool("interactive") {
		if ctx.NArg() > 1 {
			// As Docker: one terminal cannot carry several containers.
			return errors.New("you cannot start and attach multiple containers at once")
		}
		return startAttached(ctx, store, ctx.Args().First())
	}
	return eachContainer(ctx, func(ref, id string) error {
		rec, err := store.Get(id)
		if err != nil {
			return err
		}
		if rec.State.Status == container.StatusRunning || rec.State.Restarting {
			fmt.Println(ref) // already running: nothing to do, as Docker
			return nil
		}
		if err := startPodInfra(ctx, rec); err != nil {
			return err
		}
		// A started container runs detached under its own monitor, as run -d.
		if err := startDetached(ctx, id); err != nil {
			return err
		}
		fmt.Println(ref)
		return nil
	})
}

// startAttached runs container ref with this process as its monitor, as
// a foreground run does: its output is ours and so is its exit code.
// Stdin is passed on with -i, if the container was created with -i.
func startAttached(ctx *cli.Context, store *container.Store, ref string) error {
	id, err := store.Resolve(ref)
	if err != nil {
		return err
	}
	rec, err := store.Get(id)
	if err != nil {
		return err
	}
	if rec.State.Status == container.StatusRunning {
		return errors.Errorf("container %s is already running: use logs -f to follow it", rec.Name)
	}
	stdin := ctx.Bool("interactive") && rec.Config.OpenStdin
	return runForeground(ctx, store, rec, stdin, false, "", nil)
}

// startRestartable is start --all-restartable, what the restart policies
// need after a host reboot with no daemon: it starts, each under its own
// monitor, the containers Store.Restartable lists, and prints their
// names. A failure is printed and the others still start.
func startRestartable(ctx *cli.Context, store *container.Store) error {
	recs, errs := store.Restartable()
	for _, err := range errs {
		log.Warn(err) // one unreadable record must not keep the others down
	}
	if len(recs) > 0 {
		// After a reboot the networks' bridges are gone with their rules.
		if err := network.NewStore(root(ctx)).RestoreBridges(); err != nil {
			return err
		}
	}
	var last error
	for _, rec := range recs {
		if err := startDetached(ctx, rec.ID); err != nil {
			if last != nil {
				fmt.Fprintln(os.Stderr, "mydocker: "+last.Error())
			}
			last = errors.Wrapf(err, "start %s", rec.Name)
			continue
		}
		fmt.Println(rec.Name)
	}
	return last
}
