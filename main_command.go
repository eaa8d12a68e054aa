package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"mydocker/cgroups"
	"mydocker/constant"
	"mydocker/container"
)

const usage = `a daemonless container CLI, written from first principles.

   Containers are processes in new namespaces on an overlay of their image;
   all state lives under --root (default /var/lib/mydocker).`

// newApp builds the command line: global flags, then one command per
// file at the top level (run.go, commit.go, ...).
func newApp() *cli.App {
	app := cli.NewApp()
	app.Name = "mydocker"
	app.Usage = usage
	app.Version = "0.1.0"
	app.HideVersion = false
	app.Writer = os.Stdout
	app.ErrWriter = os.Stderr
	app.Flags = []cli.Flag{
		cli.StringFlag{Name: "root", EnvVar: constant.RootEnv, Value: constant.DefaultRoot, Usage: "state directory"},
		cli.BoolFlag{Name: "debug", Usage: "show every setup step (namespaces, mounts, pivot_root)"},
		cli.StringFlag{Name: "log-level", Value: "warn", Usage: "debug, info, warn or error"},
		cli.StringFlag{Name: "cgroup-manager", EnvVar: "MYDOCKER_CGROUP_MANAGER",
			Usage: "cgroup driver of new containers: cgroupfs, or systemd (the default where systemd is init on cgroup v2)"},
	}
	app.Before = before
	app.OnUsageError = onUsageError
	app.ExitErrHandler = func(*cli.Context, error) {} // main prints errors and picks the code
	app.Action = func(ctx *cli.Context) error {
		if ctx.NArg() > 0 {
			return errors.Errorf("unknown command %q (see mydocker --help)", ctx.Args().First())
		}
		return cli.ShowAppHelp(ctx)
	}
	app.Commands = []cli.Command{
		runCommand,
		psCommand,
		logsCommand,
		execCommand,
		stopCommand,
		startCommand,
		rmCommand,
		commitCommand,
		imagesCommand,
		rmiCommand,
		importCommand,
		pullCommand,
		pushCommand,
		tagCommand,
		loadCommand,
		saveCommand,
		historyCommand,
		imageCommand,
		inspectCommand,
		statsCommand,
		updateCommand,
		pauseCommand,
		unpauseCommand,
		networkCommand,
		monitorCommand,
		loginCommand,
		logoutCommand,
		portCommand,
		volumeCommand,
		createCommand,
		waitCommand,
		killCommand,
		restartCommand,
		renameCommand,
		topCommand,
		diffCommand,
		containerCommand,
		systemCommand,
		eventsCommand,
		cpCommand,
		completionCommand,
		completeCommand,
		playCommand,
		generateCommand,
		podCommand,
	}
	for i := range app.Commands {
		if app.Commands[i].OnUsageError == nil {
			app.Commands[i].OnUsageError = onUsageError
		}
		// Combined short flags as Docker takes them: ps -aq, rm -f, exec -it.
		// cli splits an argument only when it is not itself a flag, so the
		// blog's single-dash -name and -mem still work.
		app.Commands[i].UseShortOptionHandling = true
	}
	return app
}

// needsRoot are the commands that create namespaces, mounts, cgroups or
// network devices; the rest only read state.
var needsRoot = map[string]bool{
	"run": true, "exec": true, "cp": true, "stop": true, "start": true, "rm": true, "commit": true,
	"rmi": true, "import": true, "network": true, "stats": true,
	"pull": true, "load": true, "tag": true, "update": true, "pause": true, "unpause": true,
	"create": true, "wait": true, "kill": true, "restart": true, "rename": true, "top": true,
	"diff": true, "container": true, "system": true, "events": true,
	"play": true,
}

// before sets up logging and refuses early, in one clear line, a command
// that cannot work without root.
func before(ctx *cli.Context) error {
	if err := setupLogging(ctx); err != nil {
		return err
	}
	if cmd := ctx.Args().First(); needsRoot[cmd] && os.Geteuid() != 0 {
		return errors.Errorf("%s needs root: mydocker creates namespaces, mounts and cgroups", cmd)
	}
	return nil
}

func setupLogging(ctx *cli.Context) error {
	if ctx.GlobalBool("debug") {
		// With times, so a reader sees what each step costs.
		log.SetFormatter(&log.TextFormatter{FullTimestamp: true, TimestampFormat: "15:04:05.000000"})
		log.SetLevel(log.DebugLevel)
		return nil
	}
	level, err := log.ParseLevel(ctx.GlobalString("log-level"))
	if err != nil {
		return errors.Errorf("invalid --log-level %q", ctx.GlobalString("log-level"))
	}
	log.SetLevel(level)
	return nil
}

// onUsageError turns a flag error into one line instead of a help page.
func onUsageError(ctx *cli.Context, err error, _ bool) error {
	msg := strings.TrimPrefix(err.Error(), "flag provided but not defined: ")
	if msg != err.Error() {
		return errors.Errorf("unknown flag %s (see mydocker %s --help)", asTyped(msg, os.Args), ctx.Command.Name)
	}
	return errors.Errorf("%v (see mydocker %s --help)", err, ctx.Command.Name)
}

// cgroupDriver is the cgroup driver for a new container: --cgroup-manager,
// else the host's default.
func cgroupDriver(ctx *cli.Context) (string, error) {
	driver := ctx.GlobalString("cgroup-manager")
	if driver == "" {
		return cgroups.DefaultDriver(), nil
	}
	return driver, errors.Wrap(cgroups.CheckDriver(driver), "--cgroup-manager")
}

// asTyped gives back an unknown flag with the dashes the user typed: Go's
// flag package names --bogus as -bogus.
func asTyped(flag string, args []string) string {
	name := strings.TrimLeft(flag, "-")
	for _, a := range args {
		if a == "--" {
			break
		}
		if dashes := len(a) - len(strings.TrimLeft(a, "-")); dashes > 0 && dashes <= 2 {
			if n, _, _ := strings.Cut(a[dashes:], "="); n == name {
				return a[:dashes] + name
			}
		}
	}
	return flag
}

// root is the state root every command works on.
func root(ctx *cli.Context) string { return ctx.GlobalString("root") }

// eachContainer applies fn to every CONTAINER argument, going on after a
// failure as Docker does, and fails if any did.
func eachContainer(ctx *cli.Context, fn func(ref, id string) error) error {
	store := container.NewStore(root(ctx))
	return eachArg(ctx, func(ref string) error {
		id, err := store.Resolve(ref)
		if err != nil {
			return err
		}
		return fn(ref, id)
	})
}

// eachArg applies fn to every argument, going on after a failure. Every
// failure but the last is printed here; the last becomes the command's
// error, so the exit code says that something failed.
func eachArg(ctx *cli.Context, fn func(arg string) error) error {
	var last error
	for _, arg := range ctx.Args() {
		if err := fn(arg); err != nil {
			if last != nil {
				fmt.Fprintln(os.Stderr, "mydocker: "+last.Error())
			}
			last = err
		}
	}
	return last
}

// runningContainer resolves ref to a container that is running now.
func runningContainer(store *container.Store, ref string) (*container.Record, error) {
	id, err := store.Resolve(ref)
	if err != nil {
		return nil, err
	}
	rec, err := store.Get(id)
	if err != nil {
		return nil, err
	}
	if rec.State.Status != container.StatusRunning {
		return nil, errors.Errorf("container %s is not running", rec.Name)
	}
	return rec, nil
}
