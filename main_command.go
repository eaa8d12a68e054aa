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
	setRunHelp()
	app := cli.NewApp()
	app.Name = "mydocker"
	app.Usage = usage
	app.Version = version
	app.HideVersion = false
	app.Writer = os.Stdout
	app.ErrWriter = os.Stderr
	app.Flags = []cli.Flag{
		cli.StringFlag{Name: "root", EnvVar: constant.RootEnv, Value: constant.DefaultRoot, Usage: "state directory"},
		cli.BoolFlag{Name: "debug", Usage: "show every setup step (namespaces, mounts, pivot_root)"},
		cli.StringFlag{Name: "log-level", Value: "warn", Usage: "debug, info, warn or error"},
		cli.StringFlag{Name: "cgroup-manager", EnvVar: "MYDOCKER_CGROUP_MANAGER",
			Usage: "cgroup driver of new containers: cgroupfs, or systemd (the default where systemd is init on cgroup v2)"},
		cli.BoolFlag{Name: "trace", // or MYDOCKER_TRACE=1: setupTrace
			Usage: "print every kernel step (clone, mounts, pivot_root, cgroup files, veth, iptables) with its chapter and duration"},
		modeFlag,
	}
	// cli adds --help only along with its own help command, which
	// helpCommand replaces.
	app.Flags = append(app.Flags, cli.HelpFlag)
	app.Before = before
	app.OnUsageError = onUsageError
	app.ExitErrHandler = func(*cli.Context, error) {} // main prints errors and picks the code
	app.Action = func(ctx *cli.Context) error {
		if ctx.NArg() > 0 {
			return unknownCommand(ctx.Args().First(), ctx.App.Commands, "")
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
		explainCommand,
		versionCommand,
		helpCommand,
	}
	for i := range app.Commands {
		if app.Commands[i].OnUsageError == nil {
			app.Commands[i].OnUsageError = onUsageError
		}
		// Combined short flags as Docker takes them: ps -aq, rm -f, exec -it.
		// cli splits an argument only when it is not itself a flag, so the
		// blog's single-dash -name and -mem still work.
		app.Commands[i].UseShortOptionHandling = true
		// A command group (network, image, volume, ...) answers a word it
		// does not know as the app does, not with cli's "No help topic".
		if c := &app.Commands[i]; len(c.Subcommands) > 0 && c.Action == nil {
			group, subs := c.Name, c.Subcommands
			c.Action = func(ctx *cli.Context) error {
				if ctx.NArg() > 0 {
					return unknownCommand(ctx.Args().First(), subs, group)
				}
				return cli.ShowAppHelp(ctx)
			}
		}
	}
	return app
}

// withoutRoot are the commands that work for any user: help, the
// version, completion, and login/logout (which write only the user's own
// credentials). Every other command reads or changes root's state
// (records, images, networks are root's) or the kernel's (namespaces,
// mounts, cgroups), so it is refused in one line rather than showing an
// empty list that looks like "no containers".
var withoutRoot = map[string]bool{
	"": true, "help": true, "h": true, "version": true, "completion": true, completeName: true,
	"login": true, "logout": true,
}

// before sets up logging and refuses early, in one clear line, a command
// that cannot work without root.
func before(ctx *cli.Context) error {
	// The mode first: course mode turns the trace on, which logging sets up.
	if err := setupMode(ctx); err != nil {
		return err
	}
	if err := setupLogging(ctx); err != nil {
		return err
	}
	args := ctx.Args()
	cmd := args.First()
	if withoutRoot[cmd] || os.Geteuid() == 0 || ctx.App.Command(cmd) == nil {
		return nil
	}
	for _, a := range args.Tail() {
		if a == "--help" || a == "-h" {
			return nil // help is for everyone
		}
	}
	return errors.Errorf("%s needs root: mydocker keeps its state in root's %s and makes namespaces, mounts and cgroups (try: sudo mydocker %s)",
		cmd, root(ctx), cmd)
}

func setupLogging(ctx *cli.Context) error {
	if err := setupTrace(ctx); err != nil {
		return err
	}
	if ctx.GlobalBool("debug") {
		// With times, so a reader sees what each step costs.
		log.SetFormatter(&log.TextFormatter{FullTimestamp: true, TimestampFormat: "15:04:05.000000"})
		log.SetLevel(log.DebugLevel)
		return nil
	}
	level, err := log.ParseLevel(ctx.GlobalString("log-level"))
	if err != nil {
		return errors.Errorf("invalid --log-level %q: use debug, info, warn or error", ctx.GlobalString("log-level"))
	}
	log.SetLevel(level)
	return nil
}

// onUsageError turns a flag error into one line instead of a help page.
func onUsageError(ctx *cli.Context, err error, _ bool) error {
	help := "mydocker --help"
	if name := ctx.Command.FullName(); name != "" {
		help = "mydocker " + name + " --help"
	}
	msg := strings.TrimPrefix(err.Error(), "flag provided but not defined: ")
	if msg != err.Error() {
		return errors.Errorf("unknown flag %s (see %s)", asTyped(msg, os.Args), help)
	}
	return errors.Errorf("%v (see %s)", err, help)
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
