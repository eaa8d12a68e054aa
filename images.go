package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/image"
	"mydocker/utils"
)

var imagesCommand = cli.Command{
	Name:      "images",
	Usage:     "list images",
	ArgsUsage: "[REPOSITORY[:TAG]]",
	Flags: []cli.Flag{
		cli.BoolFlag{Name: "q, quiet", Usage: "only show image IDs"},
		cli.BoolFlag{Name: "digests", Usage: "show digests"},
		cli.BoolFlag{Name: "no-trunc", Usage: "do not truncate IDs"},
		cli.StringFlag{Name: "format", Usage: "table (default), json, or a Go template such as {{.Repository}}:{{.Tag}}"},
	},
	Action: imagesAction,
}

var rmiCommand = cli.Command{
	Name:      "rmi",
	Usage:     "remove images (refused while a container uses one, unless -f)",
	ArgsUsage: "IMAGE...",
	Flags:     []cli.Flag{cli.BoolFlag{Name: "f, force", Usage: "remove even if containers use it, or it has several names"}},
	Action:    rmiAction,
}

var importCommand = cli.Command{
	Name:      "import",
	Usage:     "make a rootfs tarball (plain or gzip) an image",
	ArgsUsage: "FILE IMAGE",
	Flags: []cli.Flag{cli.StringFlag{Name: "max-size",
		Usage: "largest size the image may unpack to, such as 100g (default: $" + image.MaxSizeEnv + " or " + utils.FormatSize(image.DefaultMaxSize) + ")"}},
	Action: importAction,
}

var tagCommand = cli.Command{
	Name:      "tag",
	Usage:     "give an image another name",
	ArgsUsage: "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
	Action:    tagAction,
}

var historyCommand = cli.Command{
	Name:      "history",
	Usage:     "show how an image's layers were made",
	ArgsUsage: "IMAGE",
	Flags: []cli.Flag{
		cli.BoolFlag{Name: "q, quiet", Usage: "only show image IDs"},
		cli.BoolFlag{Name: "no-trunc", Usage: "do not truncate output"},
	},
	Action: historyAction,
}

var imageInspectCommand = cli.Command{
	Name:      "inspect",
	Usage:     "show images' details as JSON",
	ArgsUsage: "IMAGE...",
	Flags:     []cli.Flag{formatFlag},
	Action:    imageInspectAction,
}

// imageCommand groups the image commands as `docker image ...` does.
var imageCommand = cli.Command{
	Name:  "image",
	Usage: "manage images (inspect, ls, rm, pull, push, tag, load, save, import, history)",
	Subcommands: []cli.Command{
		imageInspectCommand,
		renamed(imagesCommand, "ls", "list"),
		renamed(rmiCommand, "rm", "remove"),
		pullCommand, pushCommand, tagCommand, loadCommand, saveCommand, importCommand, historyCommand,
		imagePruneCommand,
	},
}

func renamed(c cli.Command, name string, aliases ...string) cli.Command {
	c.Name, c.Aliases = name, aliases
	return c
}

// imageRow is one line of `images`, with Docker's field names for --format.
type imageRow struct {
	Containers   string `json:"Containers"`
	CreatedAt    string `json:"CreatedAt"`
	CreatedSince string `json:"CreatedSince"`
	Digest       string `json:"Digest"`
	ID           string `json:"ID"`
	Repository   string `json:"Repository"`
	SharedSize   string `json:"SharedSize"`
	Size         string `json:"Size"`
	Tag          string `json:"Tag"`
	UniqueSize   string `json:"UniqueSize"`
	VirtualSize  string `json:"VirtualSize"`
}

func imagesAction(ctx *cli.Context) error {
	list, err := image.NewStore(root(ctx)).List()
	if err != nil {
		return err
	}
	filter := ""
	if ctx.NArg() > 0 {
		filter = ctx.Args().First()
	}
	var rows []imageRow
	seen := map[string]bool{}
	for _, img := range list {
		for _, r := range imageRows(img, ctx.Bool("no-trunc")) {
			if filter != "" && r.Repository != filter && r.Repository+":"+r.Tag != filter {
				continue
			}
			if ctx.Bool("quiet") {
				if seen[r.ID] {
					continue
				}
				seen[r.ID] = true
			}
			rows = append(rows, r)
		}
	}
	switch format := ctx.String("format"); {
	case ctx.Bool("quiet"):
		for _, r := range rows {
			fmt.Println(r.ID)
		}
		return nil
	case format == "json":
		enc := json.NewEncoder(os.Stdout)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return errors.Wrap(err, "write images output")
			}
		}
		return nil
	case format != "" && format != "table":
		return printTemplate(format, rows)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
	if ctx.Bool("digests") {
		fmt.Fprintln(w, "REPOSITORY\tTAG\tDIGEST\tIMAGE ID\tCREATED\tSIZE")
	} else {
		fmt.Fprintln(w, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE")
	}
	for _, r := range rows {
		if ctx.Bool("digests") {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Repository, r.Tag, r.Digest, r.ID, r.CreatedSince, r.Size)
		} else {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.Repository, r.Tag, r.ID, r.CreatedSince, r.Size)
		}
	}
	return errors.Wrap(w.Flush(), "write images output")
}

// imageRows gives one row per tag of an image (one <none> row for none),
// with the digest the registry knows that repository's image by.
func imageRows(img image.Summary, noTrunc bool) []imageRow {
	id := img.ID
	if !noTrunc {
		id = strings.TrimPrefix(id, "sha256:")[:12]
	}
	base := imageRow{ID: id, Containers: "N/A", SharedSize: "N/A", UniqueSize: "N/A",
		CreatedAt: img.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"), CreatedSince: since(img.Created),
		Size: humanSize(img.Size), VirtualSize: humanSize(img.Size), Digest: "<none>"}
	digestFor := func(repo string) string {
		for _, d := range img.RepoDigests {
			if r, dg, ok := strings.Cut(d, "@"); ok && r == repo {
				return dg
			}
		}
		return "<none>"
	}
	var rows []imageRow
	for _, n := range img.Names {
		i := strings.LastIndex(n, ":")
		r := base
		r.Repository, r.Tag = n[:i], n[i+1:]
		r.Digest = digestFor(r.Repository)
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		r := base
		r.Repository, r.Tag = "<none>", "<none>"
		if len(img.RepoDigests) > 0 {
			repo, dg, _ := strings.Cut(img.RepoDigests[0], "@")
			r.Repository, r.Digest = repo, dg
		}
		rows = append(rows, r)
	}
	return rows
}

func printTemplate(format string, rows any) error {
	tmpl, err := template.New("format").Funcs(template.FuncMap{
		"json": func(v any) (string, error) { b, err := json.Marshal(v); return string(b), err },
	}).Parse(strings.ReplaceAll(format, `\t`, "\t"))
	if err != nil {
		return errors.Wrapf(err, "invalid --format %q", format)
	}
	switch v := rows.(type) {
	case []imageRow:
		for _, r := range v {
			if err := tmpl.Execute(os.Stdout, r); err != nil {
				return errors.Wrap(err, "--format")
			}
			fmt.Println()
		}
	}
	return nil
}

// since says how long ago t was, as Docker's CREATED column does.
func since(t time.Time) string {
	d := time.Since(t)
	switch {
	case t.IsZero():
		return "N/A"
	case d < time.Minute:
		return "Less than a minute ago"
	case d < time.Hour:
		return plural(int(d.Minutes()), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d.Hours()), "hour") + " ago"
	case d < 14*24*time.Hour:
		return plural(int(d.Hours()/24), "day") + " ago"
	case d < 60*24*time.Hour:
		return plural(int(d.Hours()/24/7), "week") + " ago"
	case d < 2*365*24*time.Hour:
		return plural(int(d.Hours()/24/30), "month") + " ago"
	}
	return plural(int(d.Hours()/24/365), "year") + " ago"
}

func plural(n int, unit string) string {
	if n == 1 {
		if unit == "hour" {
			return "About an hour"
		}
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// humanSize prints a byte count the way Docker does (decimal units).
func humanSize(n int64) string { return utils.DecimalSize(n, "%.3g") }

func rmiAction(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"rmi" requires at least one IMAGE`)
	}
	images := image.NewStore(root(ctx))
	recs, errs := container.NewStore(root(ctx)).List()
	for _, err := range errs {
		log.Warn(err)
	}
	usedBy := func(id string) string {
		for _, rec := range recs {
			if "sha256:"+rec.ImageDigest == id || rec.ImageDigest == id {
				return rec.Name + " (" + utils.ShortID(rec.ID) + ")"
			}
		}
		return ""
	}
	err := eachArg(ctx, func(ref string) error {
		out, err := images.Remove(ref, ctx.Bool("force"), usedBy)
		if err != nil {
			return err
		}
		for _, n := range out.Untagged {
			fmt.Println("Untagged: " + n)
		}
		if out.Deleted != "" {
			fmt.Println("Deleted: " + out.Deleted)
		}
		return nil
	})
	if perr := collectLayers(ctx, images); perr != nil {
		if err != nil { // as eachArg does: earlier errors printed, the last returned
			fmt.Fprintln(os.Stderr, "mydocker: "+err.Error())
		}
		return perr
	}
	return err
}

// collectLayers frees the blobs and unpacked layers no image and no
// container uses any more. The containers are listed again, just before,
// so that one created meanwhile keeps its layers; if any record cannot be
// read, nothing is freed, since that container might use anything.
func collectLayers(ctx *cli.Context, images *image.Store) error {
	recs, errs := container.NewStore(root(ctx)).List()
	if len(errs) > 0 {
		log.Warnf("not freeing unused layers: %d container records could not be read", len(errs))
		return nil
	}
	var inUse []string
	for _, rec := range recs {
		inUse = append(inUse, rec.Layers...)
	}
	return errors.Wrap(images.Collect(inUse), "free unused layers")
}

func tagAction(ctx *cli.Context) error {
	if ctx.NArg() != 2 {
		return errors.New(`"tag" requires a SOURCE_IMAGE and a TARGET_IMAGE`)
	}
	return image.NewStore(root(ctx)).Tag(ctx.Args().Get(0), ctx.Args().Get(1))
}

func historyAction(ctx *cli.Context) error {
	if ctx.NArg() != 1 {
		return errors.New(`"history" requires exactly one IMAGE`)
	}
	img, err := image.NewStore(root(ctx)).Get(ctx.Args().First())
	if err != nil {
		return err
	}
	rows, err := image.NewStore(root(ctx)).History(img)
	if err != nil {
		return err
	}
	if ctx.Bool("quiet") {
		for _, r := range rows {
			fmt.Println(shortOrFull(r.ID, ctx.Bool("no-trunc")))
		}
		return nil
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "IMAGE\tCREATED\tCREATED BY\tSIZE\tCOMMENT")
	for _, r := range rows {
		by := r.CreatedBy
		if !ctx.Bool("no-trunc") && len(by) > 45 {
			by = by[:44] + "…"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", shortOrFull(r.ID, ctx.Bool("no-trunc")), since(r.Created), by, humanSize(r.Size), r.Comment)
	}
	return errors.Wrap(w.Flush(), "write history output")
}

func shortOrFull(id string, full bool) string {
	if full || !strings.HasPrefix(id, "sha256:") {
		return id
	}
	return strings.TrimPrefix(id, "sha256:")[:12]
}

func imageInspectAction(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"image inspect" requires at least one IMAGE`)
	}
	tmpl, err := inspectFormat(ctx)
	if err != nil {
		return err
	}
	store := image.NewStore(root(ctx))
	out := []*image.Inspect{}
	err = eachArg(ctx, func(ref string) error {
		img, err := store.Get(ref)
		if err != nil {
			return err
		}
		out = append(out, store.Inspect(img))
		return nil
	})
	return printInspect(tmpl, out, err)
}
