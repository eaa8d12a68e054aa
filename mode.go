package main

import (
	"os"
	"strings"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/image"
	"mydocker/utils"
)

// The two modes of the CLI (CONTRACT.md, "Course mode"). Docker's is the
// default: scripts and users rely on it. Course mode gives the series'
// behaviour where the two disagree, so a reader can type each chapter's
// session as it is written; everything the series does not define stays
// Docker's in both.
const (
	modeDocker = "docker"
	modeCourse = "course"
	// modeEnv selects the mode, as --mode does.
	modeEnv = "MYDOCKER_MODE"
	// courseImage is the image the early chapters' `run CMD` runs in:
	// they had one root file system, busybox's.
	courseImage = "busybox"
)

var modeFlag = cli.StringFlag{Name: "mode", EnvVar: modeEnv, Value: modeDocker,
	Usage: "docker, or course: the blog series' behaviour (run without an image, ps lists all, -it removes, no network unless -net, commit IMAGE)"}

// setupMode checks --mode and, in course mode, turns the trace on unless
// the user set MYDOCKER_TRACE: processes started later (the monitor of a
// run -d) inherit it.
func setupMode(ctx *cli.Context) error {
	switch m := ctx.GlobalString("mode"); m {
	case modeDocker, "": // MYDOCKER_MODE= is unset, as for any variable
	case modeCourse:
		if _, set := os.LookupEnv(traceEnv); set {
			return nil // the user's word on the trace wins
		}
		if err := os.Setenv(traceEnv, "1"); err != nil {
			return errors.Wrap(err, "turn the trace on")
		}
		// The global --trace flag (its EnvVar is read before this runs)
		// is set too, where the CLI has one.
		for _, f := range ctx.App.Flags {
			if f.GetName() == "trace" && !ctx.GlobalIsSet("trace") {
				if err := ctx.GlobalSet("trace", "true"); err != nil {
					return errors.Wrap(err, "turn the trace on")
				}
			}
		}
	default:
		return errors.Errorf("invalid --mode %q: want docker or course", m)
	}
	return nil
}

// courseMode reports whether the series' behaviour is asked for.
func courseMode(ctx *cli.Context) bool { return ctx.GlobalString("mode") == modeCourse }

// shortHexRE is a word that image lookup would take as an image ID
// prefix; commands such as dc or ed are that short, IDs ps shows are not.

// courseRunArgs splits run's arguments as the series reads them: until
// chapter 14 `run` had no image argument, so the first word is a command
// run in busybox unless it names an image. It names one when it has a
// reference's form that no command has (a tag, a digest, a registry or
// repository path: busybox:latest, docker.io/library/alpine) or the store
// has an image of that name; a path (/bin/sh, ./x) is always a command.
func courseRunArgs(images *image.Store, args []string) (img string, cmd []string, err error) {
	first := args[0]
	switch {
	case strings.HasPrefix(first, "/") || strings.HasPrefix(first, "./") || strings.HasPrefix(first, "../"):
		return courseImage, args, nil
	case strings.ContainsAny(first, ":@/"):
		return first, args[1:], nil
	case utils.IsLowerHex(first, 1, 11):
		return courseImage, args, nil
	}
	if _, perr := image.ParseReference(first); perr != nil {
		return courseImage, args, nil // no image can have this name
	}
	_, err = images.Get(first)
	switch {
	case err == nil:
		return first, args[1:], nil
	case errors.Cause(err) == image.ErrNotFound:
		return courseImage, args, nil
	}
	return "", nil, err
}

// runImageHint explains, in Docker mode, a first word of run that is a
// command rather than an image: the series' form before chapter 14.
func runImageHint(args []string) string {
	return "run needs an image since chapter 14: mydocker run -it busybox " + strings.Join(args, " ") +
		" (or " + modeEnv + "=course for the series' early form)"
}

// looksLikeCommand reports whether a word given as run's IMAGE is surely
// a command: a path.
func looksLikeCommand(word string) bool {
	return strings.HasPrefix(word, "/") || strings.HasPrefix(word, "./") || strings.HasPrefix(word, "../")
}

// courseStatus is the STATUS column of the series' ps: running or
// stopped (its containers are never merely created; ours can be).
func courseStatus(rec *container.Record) string {
	switch rec.State.Status {
	case container.StatusExited:
		return "stopped"
	case container.StatusRunning:
		return "running"
	}
	return rec.State.Status
}

// newestRunning is the container the series' one-argument commit means:
// the only running container, or the newest of several (its chapter 7
// had one container at a time).
func newestRunning(store *container.Store) (string, error) {
	recs, errs := store.List()
	var newest *container.Record
	for _, rec := range recs {
		rec = store.Settle(rec)
		if rec.State.Status != container.StatusRunning {
			continue
		}
		if newest == nil || rec.Created.After(newest.Created) {
			newest = rec
		}
	}
	if newest == nil {
		if len(errs) > 0 {
			return "", errors.Wrap(errs[0], "no running container to commit")
		}
		return "", errors.New("no running container to commit: start one first (mydocker run -d busybox top), or name it: mydocker commit CONTAINER IMAGE")
	}
	return newest.ID, nil
}
