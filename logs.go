package main

import (
	"fmt"
	"io"
	"os"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/utils"
)

var logsCommand = cli.Command{
	Name:      "logs",
	Usage:     "print a container's stdout and stderr",
	ArgsUsage: "CONTAINER",
	Flags: []cli.Flag{
		cli.BoolFlag{Name: "f, follow", Usage: "keep printing until the container exits"},
		cli.StringFlag{Name: "tail", Value: "all", Usage: "only the last N lines"},
		cli.BoolFlag{Name: "raw", Usage: "print control characters as they are, even to a terminal"},
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
	path := store.LogPath(id)
	files, err := container.OpenLogs(path)
	if err != nil {
		return err
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	if len(files) == 0 {
		return nil // never started: no output yet
	}
	// A detached container's output was never meant for this terminal:
	// escape sequences in it could retitle, clear or reprogram it.
	raw := ctx.Bool("raw")
	escOut := !raw && utils.IsTerminal(os.Stdout)
	escErr := !raw && utils.IsTerminal(os.Stderr)
	print := func(e container.LogEntry) error {
		var w io.Writer = os.Stdout
		text := e.Log
		if e.Stream == "stderr" {
			w = os.Stderr
			if escErr {
				text = utils.EscapeControl(text)
			}
		} else if escOut {
			text = utils.EscapeControl(text)
		}
		_, err := io.WriteString(w, text)
		return err
	}
	if err := container.TailLog(files, tail, print); err != nil {
		return err
	}
	if !ctx.Bool("follow") {
		return nil
	}
	// The monitor closes the log before it records the exit, so once the
	// record says not running every line is in the files.
	done := func() bool {
		rec, err := store.Get(id)
		return err != nil || rec.State.Status != container.StatusRunning
	}
	return container.FollowLog(files[len(files)-1], path, done, print)
}
