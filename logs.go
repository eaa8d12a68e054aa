package main

import (
	"fmt"
	"io"
	"os"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
)

var logsCommand = cli.Command{
	Name:      "logs",
	Usage:     "print a container's stdout and stderr",
	ArgsUsage: "CONTAINER",
	Flags: []cli.Flag{
		cli.BoolFlag{Name: "f, follow", Usage: "keep printing until the container exits"},
		cli.StringFlag{Name: "tail", Value: "all", Usage: "only the last N lines"},
	},
	Action: logsAction,
}

func logsAction(ctx *cli.Context) error {
	if ctx.NArg() != 1 {
		return errors.New(`"logs" requires exactly one CONTAINER`)
	}
	tail := -1
	if s := ctx.String("tail"); s != "all" {
		if _, err := fmt.Sscanf(s, "%d", &tail); err != nil || tail < 0 || fmt.Sprint(tail) != s {
			return errors.Errorf("invalid --tail %q: want a number of lines or all", s)
		}
	}
	store := container.NewStore(root(ctx))
	id, err := store.Resolve(ctx.Args().First())
	if err != nil {
		return err
	}
	f, err := os.Open(store.LogPath(id))
	if os.IsNotExist(err) {
		return nil // never started: no output yet
	}
	if err != nil {
		return errors.Wrap(err, "open container log")
	}
	defer f.Close()
	print := func(e container.LogEntry) error {
		var w io.Writer = os.Stdout
		if e.Stream == "stderr" {
			w = os.Stderr
		}
		_, err := io.WriteString(w, e.Log)
		return err
	}
	entries, err := container.TailLog(f, tail)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := print(e); err != nil {
			return err
		}
	}
	if !ctx.Bool("follow") {
		return nil
	}
	// The monitor closes the log before it records the exit, so once the
	// record says not running every line is in the file.
	done := func() bool {
		rec, err := store.Get(id)
		return err != nil || rec.State.Status != container.StatusRunning
	}
	return container.FollowLog(f, done, print)
}
