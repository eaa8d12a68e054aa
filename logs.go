package main

import (
	stderrors "errors"
	"fmt"
	"io"
	"os"
	"time"

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
		cli.BoolFlag{Name: "t, timestamps", Usage: "show each line's time (RFC 3339, nanoseconds)"},
		cli.StringFlag{Name: "since", Usage: "only lines from this time: 10m (ago), a Unix time, or RFC 3339"},
		cli.StringFlag{Name: "until", Usage: "only lines before this time: 10m (ago), a Unix time, or RFC 3339"},
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
	since, until, err := logWindow(ctx)
	if err != nil {
		return err
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
	stamps := ctx.Bool("timestamps")
	print := func(e container.LogEntry) error {
		// As Docker: --tail counts the log's last lines, then the window
		// applies; the first line past --until ends the output.
		if !since.IsZero() && e.Time.Before(since) {
			return nil
		}
		if !until.IsZero() && !e.Time.Before(until) {
			return errPastUntil
		}
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
		if stamps {
			text = e.Time.UTC().Format(container.LogTimeFormat) + " " + text
		}
		_, err := io.WriteString(w, text)
		return err
	}
	if err := container.TailLog(files, tail, print); err != nil {
		if err == errPastUntil {
			return nil
		}
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
	err = container.FollowLog(files[len(files)-1], path, done, print)
	if err == errPastUntil {
		return nil
	}
	return err
}

// errPastUntil ends the output at the first line logs --until excludes.
var errPastUntil = stderrors.New("past --until")

// logWindow reads logs --since and --until (zero: not given).
func logWindow(ctx *cli.Context) (since, until time.Time, err error) {
	now := time.Now()
	if v := ctx.String("since"); ctx.IsSet("since") {
		if since, err = container.ParseLogTime(v, now); err != nil {
			return since, until, errors.Wrap(err, "--since")
		}
	}
	if v := ctx.String("until"); ctx.IsSet("until") {
		if until, err = container.ParseLogTime(v, now); err != nil {
			return since, until, errors.Wrap(err, "--until")
		}
	}
	return since, until, nil
}
