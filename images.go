package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/image"
	"mydocker/utils"
)

var imagesCommand = cli.Command{
	Name:      "images",
	Usage:     "list images in <root>/image",
	ArgsUsage: " ",
	Action:    imagesAction,
}

var rmiCommand = cli.Command{
	Name:      "rmi",
	Usage:     "remove images (refused while a container uses one, unless -f)",
	ArgsUsage: "IMAGE...",
	Flags:     []cli.Flag{cli.BoolFlag{Name: "f, force", Usage: "remove even if containers use it"}},
	Action:    rmiAction,
}

var importCommand = cli.Command{
	Name:      "import",
	Usage:     "make a rootfs tarball an image",
	ArgsUsage: "FILE IMAGE",
	Flags: []cli.Flag{cli.StringFlag{Name: "max-size",
		Usage: "largest size the image may unpack to, such as 100g (default: $" + image.MaxSizeEnv + " or " + utils.FormatSize(image.DefaultMaxSize) + ")"}},
	Action: importAction,
}

func imagesAction(ctx *cli.Context) error {
	list, err := image.NewStore(root(ctx)).List()
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "NAME\tSIZE\tCREATED")
	for _, img := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\n", img.Name, humanSize(img.Size), img.Created.Local().Format("2006-01-02 15:04:05"))
	}
	return errors.Wrap(w.Flush(), "write images output")
}

// humanSize prints a byte count the way Docker does (decimal units).
func humanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%dB", n)
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}

func rmiAction(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"rmi" requires at least one IMAGE`)
	}
	images := image.NewStore(root(ctx))
	recs, errs := container.NewStore(root(ctx)).List()
	for _, err := range errs {
		log.Warn(err)
	}
	err := eachArg(ctx, func(ref string) error {
		if err := removeImage(images, recs, ref, ctx.Bool("force")); err != nil {
			return err
		}
		fmt.Println(ref)
		return nil
	})
	if perr := pruneLayers(ctx, images); perr != nil {
		if err != nil { // as eachArg does: earlier errors printed, the last returned
			fmt.Fprintln(os.Stderr, "mydocker: "+err.Error())
		}
		return perr
	}
	return err
}

// pruneLayers frees the unpacked layers no image and no container uses
// any more. The containers are listed again, just before, so that one
// created meanwhile keeps its layers; if any record cannot be read, no
// layer is freed, since that container might use one.
func pruneLayers(ctx *cli.Context, images *image.Store) error {
	recs, errs := container.NewStore(root(ctx)).List()
	if len(errs) > 0 {
		log.Warnf("not freeing unused layers: %d container records could not be read", len(errs))
		return nil
	}
	var inUse []string
	for _, rec := range recs {
		inUse = append(inUse, rec.Layers...)
	}
	return errors.Wrap(images.Prune(inUse), "free unused layers")
}

func removeImage(images *image.Store, recs []*container.Record, ref string, force bool) error {
	if !images.Exists(ref) {
		return errors.Errorf("no such image: %s", ref)
	}
	if !force {
		for _, rec := range recs {
			if rec.Image == image.Normalize(ref) {
				return errors.Errorf("image %s is used by container %s (%s): remove it first or use rmi -f", ref, rec.Name, rec.ID[:12])
			}
		}
	}
	// Its layer is freed afterwards only if no container uses it: those
	// made from the image keep running and restarting from it.
	return images.Remove(ref)
}

func importAction(ctx *cli.Context) error {
	if ctx.NArg() != 2 {
		return errors.New(`"import" requires a FILE and an IMAGE name`)
	}
	store := image.NewStore(root(ctx))
	if v := ctx.String("max-size"); v != "" {
		n, err := utils.ParseSize(v)
		if err != nil {
			return errors.Wrap(err, "--max-size")
		}
		store.MaxSize = n
	}
	return store.Import(ctx.Args().Get(0), ctx.Args().Get(1))
}
