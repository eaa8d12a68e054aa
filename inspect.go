package main

import (
	"bytes"
	"encoding/json"
	"os"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/container/spec"
	"mydocker/format"
	"mydocker/image"
	"mydocker/network"
)

// formatFlag is -f/--format of every inspect-like command.
var formatFlag = cli.StringFlag{Name: "f, format", Usage: `a Go template for each object: {{.State.Pid}}, {{json .Config}}`}

var inspectCommand = cli.Command{
	Name:      "inspect",
	Usage:     "show containers', images' or networks' details as JSON",
	ArgsUsage: "CONTAINER|IMAGE|NETWORK...",
	Flags: []cli.Flag{
		cli.StringFlag{Name: "type", Usage: "container, image or network (default: a container if one has the name, else an image, else a network)"},
		formatFlag,
	},
	Action: inspectAction,
}

func inspectAction(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"inspect" requires at least one CONTAINER, IMAGE or NETWORK`)
	}
	tmpl, err := inspectFormat(ctx)
	if err != nil {
		return err
	}
	typ := ctx.String("type")
	if typ != "" && typ != "container" && typ != "image" && typ != "network" {
		return errors.Errorf("invalid --type %q: container, image or network", typ)
	}
	store := container.NewStore(root(ctx))
	images := image.NewStore(root(ctx))
	nets := network.NewStore(root(ctx))
	out := []any{}
	// As Docker: a container by that name first, then an image, then a
	// network.
	err = eachArg(ctx, func(ref string) error {
		if typ == "" || typ == "container" {
			v, err := inspectContainer(store, nets, ref)
			if err == nil {
				out = append(out, v)
				return nil
			}
			if typ == "container" || !errors.As(err, new(*container.NotFoundError)) {
				return err
			}
		}
		var imgErr error
		if typ == "" || typ == "image" {
			img, err := images.Get(ref)
			if err == nil {
				out = append(out, images.Inspect(img))
				return nil
			}
			if typ == "image" {
				return err
			}
			imgErr = err
		}
		v, err := inspectNetwork(store, nets, ref)
		if err == nil {
			out = append(out, v)
			return nil
		}
		if typ == "network" {
			return err
		}
		// Not a network either: a reference that could not be read
		// (damaged image, bad name) says more than "no such object".
		if errors.Cause(imgErr) != image.ErrNotFound {
			return imgErr
		}
		return &spec.ExitError{Code: 1, Err: errors.Errorf("no such object: %s", ref)}
	})
	return printInspect(tmpl, out, err)
}

// inspectFormat parses -f/--format; nil when not given (JSON then).
func inspectFormat(ctx *cli.Context) (*format.Template, error) {
	if !ctx.IsSet("format") {
		return nil, nil
	}
	tmpl, err := format.Parse(ctx.String("format"))
	if err != nil {
		return nil, err
	}
	if tmpl.IsTable() {
		return nil, errors.New(`invalid --format: inspect prints one object at a time, not a "table"`)
	}
	return tmpl, nil
}

// inspectContainer is container ref as inspect shows it.
func inspectContainer(store *container.Store, nets *network.Store, ref string) (*container.InspectView, error) {
	id, err := store.Resolve(ref)
	if err != nil {
		return nil, err
	}
	rec, err := store.Get(id)
	if err != nil {
		return nil, err
	}
	netID := func(name string) string {
		n, err := nets.Get(name)
		if err != nil {
			log.Debugf("inspect %s: %v", rec.Name, err)
			return ""
		}
		return n.ID()
	}
	return rec.Inspect(store.WorkspaceDir(id), store.LogPath(id), netID), nil
}

// inspectNetwork is network name as inspect shows it, with the running
// containers on it.
func inspectNetwork(store *container.Store, nets *network.Store, name string) (*network.Inspect, error) {
	n, err := nets.Get(name)
	if err != nil {
		return nil, err
	}
	recs, errs := store.List()
	for _, err := range errs {
		log.Warn(err)
	}
	var members []network.Attached
	for _, rec := range recs {
		rec = store.Settle(rec)
		ep := rec.NetworkSettings
		if rec.State.Status == container.StatusRunning && ep.Network == n.Name && ep.IPAddress != "" {
			members = append(members, network.Attached{ID: rec.ID, Name: rec.Name, Endpoint: ep})
		}
	}
	return n.Inspect(members), nil
}

// printInspect prints what was found, even if some arguments were not
// (err), as Docker does, and returns err: a JSON array, or each object
// through the template. A template that fails prints nothing and is the
// error.
func printInspect[T any](tmpl *format.Template, found []T, err error) error {
	if tmpl != nil {
		items := make([]any, len(found))
		for i, f := range found {
			items[i] = f
		}
		if terr := tmpl.Lines(os.Stdout, items); terr != nil {
			return terr
		}
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if eerr := enc.Encode(found); eerr != nil {
		return errors.Wrap(eerr, "encode inspect output")
	}
	if _, werr := os.Stdout.Write(buf.Bytes()); werr != nil {
		return errors.Wrap(werr, "write inspect output")
	}
	return err
}
