package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/image"
	"mydocker/utils"
)

var containerPruneCommand = cli.Command{
	Name:      "prune",
	Usage:     "remove every stopped container",
	ArgsUsage: " ",
	Flags: []cli.Flag{
		cli.BoolFlag{Name: "f, force", Usage: "do not ask for confirmation"},
	},
	Action:                 containerPruneAction,
	UseShortOptionHandling: true,
	OnUsageError:           onUsageError,
}

// containerCommand groups container commands as `docker container ...`
// does; for now prune is the one with no top-level spelling.
var containerCommand = cli.Command{
	Name:        "container",
	Usage:       "manage containers (prune)",
	Subcommands: []cli.Command{containerPruneCommand},
}

var imagePruneCommand = cli.Command{
	Name:      "prune",
	Usage:     "remove dangling images (untagged), or with -a every image no container uses",
	ArgsUsage: " ",
	Flags: []cli.Flag{
		cli.BoolFlag{Name: "a, all", Usage: "remove every image no container uses, not only dangling ones"},
		cli.BoolFlag{Name: "f, force", Usage: "do not ask for confirmation"},
	},
	Action:                 imagePruneAction,
	UseShortOptionHandling: true,
	OnUsageError:           onUsageError,
}

// confirm asks on stderr, as Docker asks, and reads the answer from
// stdin; only y or yes goes on. No answer (EOF) is no.
func confirm(in io.Reader, warning string) bool {
	fmt.Fprintf(os.Stderr, "WARNING! %s\nAre you sure you want to continue? [y/N] ", warning)
	line, _ := bufio.NewReader(in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

func containerPruneAction(ctx *cli.Context) error {
	if ctx.NArg() > 0 {
		return errors.Errorf(`"container prune" takes no arguments, got %q`, ctx.Args().First())
	}
	if !ctx.Bool("force") && !confirm(os.Stdin, "This will remove all stopped containers.") {
		return nil
	}
	pruned, err := container.NewStore(root(ctx)).Prune()
	var total int64
	if len(pruned) > 0 {
		fmt.Println("Deleted Containers:")
		for _, p := range pruned {
			fmt.Println(p.ID)
			total += p.Size
		}
		fmt.Println()
	}
	fmt.Println("Total reclaimed space: " + dockerSize(total))
	return err
}

// dockerSize is Docker's human size: decimal units, four digits.
func dockerSize(n int64) string { return utils.DecimalSize(n, "%.4g") }

// imageUsers maps the image IDs containers were created from to one of
// those containers, for refusing to remove an image in use. A record that
// cannot be read might use any image, so nothing is removed then.
func imageUsers(ctx *cli.Context) (map[string]string, error) {
	recs, errs := container.NewStore(root(ctx)).List()
	if len(errs) > 0 {
		return nil, errors.Wrapf(errs[0], "not removing images: %d container records could not be read", len(errs))
	}
	users := map[string]string{}
	for _, rec := range recs {
		for _, id := range []string{rec.ImageID, "sha256:" + rec.ImageDigest} {
			if id != "" && id != "sha256:" {
				users[id] = rec.Name + " (" + utils.ShortID(rec.ID) + ")"
			}
		}
	}
	return users, nil
}

// imageSpace is the size of what images take under the root: their
// blobs, unpacked layers and blog tars.
func imageSpace(ctx *cli.Context) int64 {
	var total int64
	for _, dir := range []string{"blobs", "layers", "image"} {
		if n, err := utils.DirSize(filepath.Join(root(ctx), dir)); err == nil {
			total += n
		}
	}
	return total
}

func imagePruneAction(ctx *cli.Context) error {
	if ctx.NArg() > 0 {
		return errors.Errorf(`"image prune" takes no arguments, got %q`, ctx.Args().First())
	}
	all := ctx.Bool("all")
	warning := "This will remove all dangling images."
	if all {
		warning = "This will remove all images without at least one container associated to them."
	}
	if !ctx.Bool("force") && !confirm(os.Stdin, warning) {
		return nil
	}
	images := image.NewStore(root(ctx))
	users, err := imageUsers(ctx)
	if err != nil {
		return err
	}
	list, err := images.List()
	if err != nil {
		return err
	}
	before := imageSpace(ctx)
	usedBy := func(id string) string { return users[id] }
	var untagged, deleted []string
	var last error
	for _, img := range list {
		if users[img.ID] != "" || (!all && len(img.Names) > 0) {
			continue
		}
		// Each name is untagged in turn, the last removal deleting the
		// image, so an image with several names needs no force; and
		// without force, Remove checks again that no container uses it.
		refs := img.Names
		if len(refs) == 0 {
			refs = []string{img.ID}
		}
		for _, ref := range refs {
			out, err := images.Remove(ref, false, usedBy)
			if err != nil {
				if last != nil {
					log.Warn(last)
				}
				last = err
				break
			}
			untagged = append(untagged, out.Untagged...)
			if out.Deleted != "" {
				deleted = append(deleted, out.Deleted)
			}
		}
	}
	if len(deleted) > 0 {
		if err := collectLayers(ctx, images); err != nil {
			return err
		}
	}
	if len(untagged)+len(deleted) > 0 {
		fmt.Println("Deleted Images:")
		for _, n := range untagged {
			fmt.Println("untagged: " + n)
		}
		for _, id := range deleted {
			fmt.Println("deleted: " + id)
		}
		fmt.Println()
	}
	freed := before - imageSpace(ctx)
	if freed < 0 {
		freed = 0 // another command stored an image meanwhile
	}
	fmt.Println("Total reclaimed space: " + dockerSize(freed))
	return last
}
