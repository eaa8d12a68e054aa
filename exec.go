package main

import (
	"os"
	"path/filepath"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/container/security"
	"mydocker/container/spec"
)

var execCommand = cli.Command{
	Name:      "exec",
	Usage:     "run a command inside a running container",
	ArgsUsage: "CONTAINER COMMAND [ARG...]",
	// Flags end at CONTAINER: everything after it belongs to the command.
	SkipArgReorder:         true,
	UseShortOptionHandling: true,
	Flags: []cli.Flag{
		cli.BoolFlag{Name: "it", Usage: "interactive with a terminal (-i -t)"},
		cli.BoolFlag{Name: "i, interactive", Usage: "keep stdin attached to the terminal"},
		cli.BoolFlag{Name: "t, tty", Usage: "allocate a pseudo-terminal"},
		repeatableFlag{Names: []string{"env", "e"}, Usage: "set K=V"},
		cli.StringFlag{Name: "w, workdir", Usage: "working directory (default: the container's)"},
		cli.StringFlag{Name: "u, user", Usage: "user[:group] to run as, names or numbers (default: the container's)"},
	},
	Action: execAction,
}

func execAction(ctx *cli.Context) error {
	// exec C yes | head: yes dies of SIGPIPE and we report its status.
	container.PassBrokenPipes()
	if ctx.NArg() < 2 {
		return errors.New(`"exec" requires a CONTAINER and a COMMAND`)
	}
	env, err := container.ParseEnv(ctx.StringSlice("env"))
	if err != nil {
		return err
	}
	workdir := ctx.String("workdir")
	if workdir != "" && !filepath.IsAbs(workdir) {
		return errors.Errorf("invalid --workdir %q: must be an absolute path", workdir)
	}
	user := ctx.String("user")
	if _, err := security.ParseUserSpec(user); err != nil {
		return errors.Wrap(err, "--user")
	}
	store := container.NewStore(root(ctx))
	rec, err := runningContainer(store, ctx.Args().First())
	if err != nil {
		return err
	}
	if workdir == "" {
		workdir = rec.Config.WorkingDir
	}
	if user == "" {
		user = rec.Config.User
	}
	cfg := &spec.ExecConfig{
		Args:        ctx.Args().Tail(),
		Env:         container.MergeEnv(rec.Config.Env, env),
		Cwd:         workdir,
		User:        user,
		Tty:         ctx.Bool("tty") || ctx.Bool("it"),
		Interactive: ctx.Bool("interactive") || ctx.Bool("it"),
	}
	if cfg.Args[0] == "" {
		return errors.New("invalid command: empty program name")
	}
	if cfg.Tty && cfg.Interactive && !isTerminal(os.Stdin) {
		return errors.New("the input device is not a TTY: drop -t (or -it) to pipe input")
	}
	if cfg.Tty {
		cfg.ConsoleSize = container.TerminalSize(os.Stdin)
	}
	if cfg.Security, err = rec.Config.Security(); err != nil {
		return err
	}
	code, err := container.Exec(rec, cfg, container.CachedSeccompProgram(container.SeccompCacheDir(store.Layout.Root), container.AssembleSeccomp))
	if err != nil {
		return err
	}
	if code != 0 {
		return &spec.ExitError{Code: code}
	}
	return nil
}
