package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/utils"
)

var psCommand = cli.Command{
	Name:      "ps",
	Usage:     "list containers (stopped ones too, as in the blog)",
	ArgsUsage: " ",
	Flags: []cli.Flag{
		cli.BoolFlag{Name: "a, all", Usage: "accepted for Docker users; all containers are listed"},
		cli.BoolFlag{Name: "q, quiet", Usage: "print container IDs only"},
		cli.BoolFlag{Name: "no-trunc", Usage: "print full IDs"},
		cli.StringFlag{Name: "format", Value: "table", Usage: "table or json (one object per line)"},
	},
	Action: psAction,
}

// psRow is one container as ps shows it.
type psRow struct {
	ID      string `json:"ID"`
	Name    string `json:"Name"`
	Pid     int    `json:"Pid"`
	Status  string `json:"Status"`
	Command string `json:"Command"`
	Created string `json:"Created"`
	Image   string `json:"Image"`
}

func psAction(ctx *cli.Context) error {
	format := ctx.String("format")
	if format != "table" && format != "json" {
		return errors.Errorf("invalid --format %q: want table or json", format)
	}
	store := container.NewStore(root(ctx))
	recs, errs := store.List()
	for _, err := range errs {
		log.Warn(err) // one unreadable record must not hide the others
	}
	rows := make([]psRow, 0, len(recs))
	for _, rec := range recs {
		rec = store.Settle(rec)
		id := rec.ID
		if !ctx.Bool("no-trunc") {
			id = utils.ShortID(id)
		}
		row := psRow{ID: id, Name: rec.Name, Status: statusText(rec), Command: quoteCommand(rec.Config.Args()),
			Created: rec.Created.Local().Format("2006-01-02 15:04:05"), Image: rec.Image}
		if rec.State.Status == container.StatusRunning {
			row.Pid = rec.State.Pid
		}
		rows = append(rows, row)
	}
	switch {
	case ctx.Bool("quiet"):
		for _, r := range rows {
			fmt.Println(r.ID)
		}
	case format == "json":
		enc := json.NewEncoder(os.Stdout)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return errors.Wrap(err, "write ps output")
			}
		}
	default:
		w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tPID\tSTATUS\tCOMMAND\tCREATED")
		for _, r := range rows {
			pid := ""
			if r.Pid > 0 {
				pid = strconv.Itoa(r.Pid)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Name, pid, r.Status, r.Command, r.Created)
		}
		if err := w.Flush(); err != nil {
			return errors.Wrap(err, "write ps output")
		}
	}
	return nil
}

// statusText is the STATUS column: running, running (Paused) as Docker
// marks a paused container, created, or exited (code).
func statusText(rec *container.Record) string {
	if rec.State.Status == container.StatusExited {
		return fmt.Sprintf("exited (%d)", rec.State.ExitCode)
	}
	if rec.State.DisplayStatus() == container.StatusPaused {
		return rec.State.Status + " (Paused)"
	}
	return rec.State.Status
}

// quoteCommand shows a command so that arguments with spaces stay visible.
func quoteCommand(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`") {
			out[i] = strconv.Quote(a)
		} else {
			out[i] = a
		}
	}
	return strings.Join(out, " ")
}
