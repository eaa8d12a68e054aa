package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/format"
	"mydocker/image"
)

var psCommand = cli.Command{
	Name:      "ps",
	Usage:     "list containers (running ones unless -a)",
	ArgsUsage: " ",
	// ps takes no arguments, so nothing needs moving behind the flags;
	// and cli's reordering would not know -f (a repeatableFlag) takes a
	// value.
	SkipArgReorder: true,
	Flags: []cli.Flag{
		cli.BoolFlag{Name: "a, all", Usage: "show every container, not only running ones"},
		cli.BoolFlag{Name: "q, quiet", Usage: "print container IDs only"},
		cli.BoolFlag{Name: "no-trunc", Usage: "print full IDs and commands"},
		repeatableFlag{Names: []string{"filter", "f"}, Usage: "status=, name=, id=, label=, ancestor=, exited=, network=, volume=, before=, since="},
		cli.IntFlag{Name: "n, last", Value: -1, Usage: "show the N most recently created containers (any state)"},
		cli.BoolFlag{Name: "l, latest", Usage: "show the most recently created container (any state)"},
		cli.StringFlag{Name: "format", Usage: `a Go template ({{.ID}} {{.Names}} ...), "table TEMPLATE" or json`},
		cli.BoolFlag{Name: "pod", Usage: "add a POD column: the pod each container is in"},
	},
	Action: psAction,
}

// dockerPsTable is Docker's own ps table, what --format table shows.
const dockerPsTable = `table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}`

func psAction(ctx *cli.Context) error {
	if ctx.NArg() > 0 {
		return errors.Errorf(`"ps" takes no arguments, got %q`, ctx.Args().First())
	}
	filters, err := container.ParseFilters(ctx.StringSlice("filter"))
	if err != nil {
		return err
	}
	var tmpl *format.Template
	switch f := ctx.String("format"); f {
	case "", format.JSONKey:
	case format.TableKey:
		tmpl, err = format.Parse(dockerPsTable)
	default:
		tmpl, err = format.Parse(f)
	}
	if err != nil {
		return err
	}
	last := ctx.Int("last")
	if ctx.Bool("latest") && last < 0 {
		last = 1
	}
	// Course mode lists every container, as the series' ps does.
	recs, err := listContainers(ctx, filters, ctx.Bool("all") || filters.All() || courseMode(ctx), last)
	if err != nil {
		return err
	}
	now := time.Now()
	rows := make([]any, len(recs))
	for i, rec := range recs {
		rows[i] = container.NewSummary(rec, now, !ctx.Bool("no-trunc"))
	}
	// One write for the whole listing: the table writer writes each cell
	// on its own, a system call per cell straight to stdout.
	out := bufio.NewWriter(os.Stdout)
	err = writePs(ctx, out, tmpl, recs, rows)
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = errors.Wrap(ferr, "write ps output")
	}
	return err
}

// writePs writes ps's rows to w in the format asked for.
func writePs(ctx *cli.Context, w io.Writer, tmpl *format.Template, recs []*container.Record, rows []any) error {
	switch {
	case ctx.Bool("quiet"):
		var out strings.Builder
		for _, r := range rows {
			out.WriteString(r.(*container.Summary).ID() + "\n")
		}
		_, err := io.WriteString(w, out.String())
		return errors.Wrap(err, "write ps output")
	case ctx.String("format") == format.JSONKey:
		return format.JSONLines(w, rows)
	case tmpl != nil && tmpl.IsTable():
		return tmpl.Table(w, container.SummaryHeader{}, rows)
	case tmpl != nil:
		return tmpl.Lines(w, rows)
	}
	var pods map[string]string
	if ctx.Bool("pod") {
		pods = podNames(ctx)
	}
	return blogTable(w, recs, rows, pods, !ctx.Bool("no-trunc"), courseMode(ctx))
}

// listContainers returns the containers ps shows, newest first as Docker
// lists them: running ones (every one if all), passing the filters, at
// most last of them if last > 0 (then in any state, as Docker's -n).
func listContainers(ctx *cli.Context, filters *container.Filters, all bool, last int) ([]*container.Record, error) {
	store := container.NewStore(root(ctx))
	recs, errs := store.List()
	for _, err := range errs {
		log.Warn(err) // one unreadable record must not hide the others
	}
	mc := container.MatchContext{IsAncestor: ancestorMatcher(ctx, filters.Ancestors()), Created: map[string]time.Time{}}
	// before= and since= name containers, which must exist, as Docker's.
	for _, ref := range filters.References() {
		id, err := store.Resolve(ref)
		if err != nil {
			return nil, errors.Wrapf(err, "--filter before/since")
		}
		rec, err := store.Load(id)
		if err != nil {
			return nil, err
		}
		mc.Created[ref] = rec.Created
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Created.After(recs[j].Created) })
	var out []*container.Record
	for _, rec := range recs {
		if last > 0 && len(out) == last {
			break
		}
		rec = store.Settle(rec)
		if !all && last <= 0 && rec.State.Status != container.StatusRunning && !rec.State.Restarting {
			continue
		}
		if filters.Match(rec, mc) {
			out = append(out, rec)
		}
	}
	return out, nil
}

// ancestorMatcher resolves the images ancestor filters name, once: a
// container descends from an image when it runs that image or one built
// on it (its layers start with the image's: commit adds a layer on top).
// An image that is not there matches nothing, as in Docker.
func ancestorMatcher(ctx *cli.Context, refs []string) func(string, *container.Record) bool {
	if len(refs) == 0 {
		return nil
	}
	images := image.NewStore(root(ctx))
	found := map[string]*image.Image{}
	for _, ref := range refs {
		img, err := images.Get(ref)
		if err != nil {
			log.Debugf("ancestor filter: %v", err)
			continue
		}
		found[ref] = img
	}
	return func(ref string, rec *container.Record) bool {
		img := found[ref]
		if img == nil {
			return false
		}
		if rec.ImageID == img.ID {
			return true
		}
		if len(img.Layers) > len(rec.Layers) {
			return false
		}
		for i, l := range img.Layers {
			if rec.Layers[i] != l {
				return false
			}
		}
		return true
	}
}

// blogTable is ps's default output: the blog's columns (ID NAME PID
// STATUS COMMAND CREATED) with Docker's STATUS wording (course: the
// blog's, running or stopped), and Docker's IMAGE and PORTS. With pods
// (ps --pod: pod ID to name), a POD column follows. Commands are cut as
// Docker cuts them, unless --no-trunc, so a long command line does not
// push a row past the terminal.
func blogTable(out io.Writer, recs []*container.Record, rows []any, pods map[string]string, trunc, course bool) error {
	w := tabwriter.NewWriter(out, 0, 8, 3, ' ', 0)
	header := "ID\tNAME\tIMAGE\tPID\tSTATUS\tCOMMAND\tCREATED\tPORTS"
	if pods != nil {
		header += "\tPOD"
	}
	fmt.Fprintln(w, header)
	for i, r := range rows {
		s := r.(*container.Summary)
		pid := ""
		if s.Pid() > 0 {
			pid = strconv.Itoa(s.Pid())
		}
		status := s.Status()
		if course {
			status = courseStatus(recs[i])
		}
		cmd := quoteCommand(recs[i].Config.Args())
		if trunc {
			cmd = format.Ellipsis(cmd, commandWidth)
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", s.ID(), s.Names(), s.Image(), pid, status,
			cmd, recs[i].Created.Local().Format("2006-01-02 15:04:05"), s.Ports())
		if pods != nil {
			line += "\t" + pods[recs[i].Config.Pod]
		}
		fmt.Fprintln(w, line)
	}
	return errors.Wrap(w.Flush(), "write ps output")
}

// commandWidth is where ps cuts a command line: room for the usual
// `sh -c "..."` and still one row per container on a wide terminal.
const commandWidth = 30

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
