package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/format"
)

var explainCommand = cli.Command{
	Name:  "explain",
	Usage: "show a running container's kernel state chapter by chapter: namespaces, cgroups, overlay, mounts, network",
	Description: `Each section names the chapter of the series that builds it, and everything shown is
   read from the kernel: /proc/PID/ns, the cgroup files, mountinfo, netlink and iptables.`,
	ArgsUsage: "CONTAINER",
	Flags: []cli.Flag{
		cli.StringFlag{Name: "f, format", Usage: `"json", or a Go template: {{.Pid}}, {{json .Namespaces}}`},
	},
	Action: explainAction,
}

func explainAction(ctx *cli.Context) error {
	if ctx.NArg() != 1 {
		return errors.New(`"explain" requires exactly one CONTAINER: mydocker explain CONTAINER`)
	}
	var tmpl *format.Template
	if f := ctx.String("format"); ctx.IsSet("format") && f != "json" {
		var err error
		if tmpl, err = format.Parse(f); err != nil {
			return err
		}
		if tmpl.IsTable() || tmpl.Empty() {
			return errors.Errorf(`invalid --format %q: "json" or a template for one container`, f)
		}
	}
	store := container.NewStore(root(ctx))
	id, err := store.Resolve(ctx.Args().First())
	if err != nil {
		return err
	}
	rec, err := store.Get(id)
	if err != nil {
		return err
	}
	e, err := store.Explain(rec)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	switch {
	case tmpl != nil:
		if err := tmpl.Lines(&buf, []any{e}); err != nil {
			return err
		}
	case ctx.String("format") == "json":
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "    ")
		if err := enc.Encode(e); err != nil {
			return errors.Wrap(err, "encode explain output")
		}
	default:
		writeExplanation(&buf, e)
	}
	_, err = os.Stdout.Write(buf.Bytes())
	return errors.Wrap(err, "write explain output")
}

// writeExplanation is explain's text: a heading per chapter, then what
// the kernel holds for it, indented.
func writeExplanation(w io.Writer, e *container.Explanation) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	head := func(ch int, title, about string) {
		fmt.Fprintf(tw, "\nch.%d %s: %s\n", ch, title, about)
	}
	fmt.Fprintf(tw, "container %s (%s), first process %d on the host\n", e.ID[:12], e.Name, e.Pid)

	ns := e.Namespaces
	head(ns.Chapter, ns.Title, "/proc/"+fmt.Sprint(e.Pid)+"/ns")
	for _, n := range ns.Namespaces {
		shared := "its own"
		if len(n.SharedWith) > 0 {
			shared = "shared with " + strings.Join(n.SharedWith, ", ")
		}
		fmt.Fprintf(tw, "  %s\t%s:[%d]\t%s\n", n.Type, n.Type, n.Inode, shared)
	}

	cg := e.Cgroups
	head(cg.Chapter, cg.Title, "cgroup "+cg.Version+", "+cg.Driver+" driver")
	for _, g := range cg.Cgroups {
		name := g.Controller
		if name == "" {
			name = "(unified)"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", name, g.Path)
		files := make([]string, 0, len(g.Values))
		for f := range g.Values {
			files = append(files, f)
		}
		sort.Strings(files)
		for _, f := range files {
			fmt.Fprintf(tw, "  \t  %s = %s\n", f, g.Values[f])
		}
	}

	r := e.Rootfs
	head(r.Pivot.Chapter, r.Pivot.Title, "pivot_root made "+r.Merged+" the container's /")
	head(r.Chapter, r.Title, "mount -t overlay")
	for i, l := range r.Lower {
		fmt.Fprintf(tw, "  lower %d\t%s\n", i, l)
	}
	fmt.Fprintf(tw, "  upper\t%s\n  work\t%s\n  merged\t%s\n  options\t%s\n", r.Upper, r.Work, r.Merged, r.Options)
	head(r.Layout.Chapter, r.Layout.Title, "the container's directories")
	fmt.Fprintf(tw, "  %s\t{upper,work,merged}\n", strings.TrimSuffix(r.Merged, "/merged"))

	m := e.Mounts
	head(m.Chapter, m.Title, "the mounts in the container's own mount namespace")
	for _, mt := range m.Mounts {
		vol := ""
		if mt.Volume != "" {
			vol = "\tvolume from " + mt.Volume
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s%s\n", mt.Target, mt.Type, mt.Source, mt.Options, mt.FSOpts, vol)
	}

	head(e.Env.Chapter, e.Env.Title, "the command's environment (names only)")
	fmt.Fprintf(tw, "  %s\n", strings.Join(e.Env.Names, " "))

	if n := e.Network; n != nil {
		head(n.Chapter, n.Title, "network "+n.Network)
		fmt.Fprintf(tw, "  bridge\t%s\n  subnet\t%s\n  gateway\t%s\n", n.Bridge, n.Subnet, n.Gateway)
		head(n.IPAM.Chapter, n.IPAM.Title, "the container's address")
		fmt.Fprintf(tw, "  address\t%s\n", n.Address)
		head(n.Endpoint.Chapter, n.Endpoint.Title, "veth "+n.VethHost+" on the host, its peer inside")
		for _, d := range n.Devices {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", d.Name, d.Type, d.State, d.MAC, strings.Join(d.Addrs, " "))
		}
		for _, p := range n.Ports {
			fmt.Fprintf(tw, "  port\t%s\n", p)
		}
		for _, rule := range n.Rules {
			fmt.Fprintf(tw, "  iptables\t%s\n", rule)
		}
	} else {
		fmt.Fprintf(tw, "\nch.16-18 network: none beyond lo (see ch.1's net namespace)\n")
	}
	tw.Flush()
}
