package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"text/tabwriter"

	"github.com/pkg/errors"
	"github.com/urfave/cli"
	"golang.org/x/sys/unix"

	"mydocker/cgroups"
	"mydocker/container"
	"mydocker/container/spec"
	"mydocker/format"
)

// version is this release; gitCommit is set by make build (-ldflags -X)
// from the checkout it was built from.
const version = "0.1.0"

var gitCommit = "unknown"

// versionInfo is what `version` reports: what a bug report needs.
type versionInfo struct {
	Version       string `json:"Version"`
	GitCommit     string `json:"GitCommit"`
	GoVersion     string `json:"GoVersion"`
	Os            string `json:"Os"`
	Arch          string `json:"Arch"`
	KernelVersion string `json:"KernelVersion"`
	CgroupVersion string `json:"CgroupVersion"`
	CgroupDriver  string `json:"CgroupDriver"`
	// BuildID, Inside and Monitor: the build mydocker, mydocker-inside
	// and mydocker-monitor must share, the program containers are entered
	// with, and the one a detached container's monitor runs.
	BuildID string `json:"BuildID"`
	Inside  string `json:"Inside"`
	Monitor string `json:"Monitor"`
}

func currentVersion() versionInfo {
	v := versionInfo{Version: version, GitCommit: gitCommit, GoVersion: runtime.Version(),
		Os: runtime.GOOS, Arch: runtime.GOARCH, KernelVersion: "unknown", CgroupVersion: "unknown",
		CgroupDriver: cgroups.DefaultDriver(), BuildID: spec.BuildID, Inside: container.InsidePath()}
	if monitor, err := container.MonitorPath(); err == nil {
		v.Monitor = monitor
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		v.KernelVersion = unix.ByteSliceToString(u.Release[:])
	}
	if f, err := os.Open("/proc/self/mountinfo"); err == nil {
		defer f.Close()
		if mode, _, err := cgroups.Detect(f); err == nil {
			v.CgroupVersion = fmt.Sprint(int(mode))
		}
	}
	return v
}

var versionCommand = cli.Command{
	Name:  "version",
	Usage: "show the version, the commit it was built from, Go, the kernel and the cgroup version",
	Flags: []cli.Flag{
		cli.StringFlag{Name: "f, format", Usage: "json, or a Go template: {{.Version}}"},
	},
	Action: func(ctx *cli.Context) error {
		if ctx.NArg() > 0 {
			return errors.Errorf(`"version" takes no arguments`)
		}
		v := currentVersion()
		switch f := ctx.String("format"); f {
		case "":
			tw := tabwriter.NewWriter(os.Stdout, 0, 8, 1, ' ', 0)
			fmt.Fprintf(tw, "Version:\t%s\n", v.Version)
			fmt.Fprintf(tw, "Git commit:\t%s\n", v.GitCommit)
			fmt.Fprintf(tw, "Go version:\t%s\n", v.GoVersion)
			fmt.Fprintf(tw, "OS/Arch:\t%s/%s\n", v.Os, v.Arch)
			fmt.Fprintf(tw, "Kernel:\t%s\n", v.KernelVersion)
			cg := v.CgroupVersion
			if cg != "unknown" {
				cg = "v" + cg
			}
			fmt.Fprintf(tw, "Cgroups:\t%s, %s driver\n", cg, v.CgroupDriver)
			fmt.Fprintf(tw, "Build:\t%s\n", v.BuildID)
			fmt.Fprintf(tw, "Inside:\t%s\n", v.Inside)
			fmt.Fprintf(tw, "Monitor:\t%s\n", v.Monitor)
			return tw.Flush()
		case "json":
			data, err := json.Marshal(v)
			if err != nil {
				return err
			}
			fmt.Println(string(data))
			return nil
		default:
			tmpl, err := format.Parse(f)
			if err != nil {
				return errors.Wrap(err, "--format")
			}
			out, err := tmpl.Render(v)
			if err != nil {
				return errors.Wrap(err, "--format")
			}
			fmt.Println(out)
			return nil
		}
	},
}

// helpCommand replaces cli's own, which answers an unknown topic with
// "No help topic for 'x'" and exit 3: here it is the usual one line, with
// a suggestion, and exit 125.
var helpCommand = cli.Command{
	Name:      "help",
	Aliases:   []string{"h"},
	Usage:     "show the commands, or one command's help",
	ArgsUsage: "[COMMAND]",
	Action: func(ctx *cli.Context) error {
		name := ctx.Args().First()
		if name == "" {
			return cli.ShowAppHelp(ctx)
		}
		if ctx.App.Command(name) == nil {
			return unknownCommand(name, ctx.App.Commands, "")
		}
		return cli.ShowCommandHelp(ctx, name)
	},
}
