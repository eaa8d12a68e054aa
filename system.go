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

var systemDfCommand = cli.Command{
	Name:         "df",
	Usage:        "show the disk space images, containers and volumes take",
	ArgsUsage:    " ",
	Action:       systemDfAction,
	OnUsageError: onUsageError,
}

// systemCommand groups commands about the whole store, as `docker
// system ...` does.
var systemCommand = cli.Command{
	Name:        "system",
	Usage:       "manage the state root (df)",
	Subcommands: []cli.Command{systemDfCommand},
}

// dfRow is one line of system df.
type dfRow struct {
	kind               string
	total, active      int
	size, reclaimable  int64
	reclaimablePercent bool
}

func (r dfRow) String() string {
	rec := dockerSize(r.reclaimable)
	if r.reclaimablePercent {
		pct := int64(0)
		if r.size > 0 {
			pct = r.reclaimable * 100 / r.size
		}
		rec = fmt.Sprintf("%s (%d%%)", rec, pct)
	}
	return fmt.Sprintf("%s\t%d\t%d\t%s\t%s", r.kind, r.total, r.active, dockerSize(r.size), rec)
}

// systemDfAction sizes what the root holds as Docker counts it: an
// image's size is its layers', each layer once however many images share
// it, reclaimable what no container uses; a container's size is its
// writable layer, reclaimable when it is not running.
func systemDfAction(ctx *cli.Context) error {
	if ctx.NArg() > 0 {
		return errors.Errorf(`"system df" takes no arguments, got %q`, ctx.Args().First())
	}
	store := container.NewStore(root(ctx))
	recs, errs := store.List()
	for _, err := range errs {
		log.Warn(err)
	}
	images := image.NewStore(root(ctx))
	list, err := images.List()
	if err != nil {
		return err
	}
	layerSize := map[string]int64{}
	sizeOf := func(layer string) int64 {
		if n, ok := layerSize[layer]; ok {
			return n
		}
		n, err := utils.DirSize(layer)
		if err != nil {
			log.Warn(err)
		}
		layerSize[layer] = n
		return n
	}
	usedLayer := map[string]bool{}
	usedImage := map[string]bool{}
	ctrs := dfRow{kind: "Containers", reclaimablePercent: true}
	for _, rec := range recs {
		rec = store.Settle(rec)
		for _, l := range rec.Layers {
			usedLayer[l] = true
		}
		usedImage[rec.ImageID] = true
		usedImage["sha256:"+rec.ImageDigest] = true
		n := store.Size(rec.ID)
		ctrs.total++
		ctrs.size += n
		if rec.State.Status == container.StatusRunning {
			ctrs.active++
		} else {
			ctrs.reclaimable += n
		}
	}
	imgs := dfRow{kind: "Images", total: len(list), reclaimablePercent: true}
	counted := map[string]bool{}
	for _, s := range list {
		if usedImage[s.ID] {
			imgs.active++
		}
		img, err := images.Get(s.ID)
		if err != nil {
			log.Warnf("image %s: %v", s.ID, err)
			continue
		}
		for _, l := range img.Layers {
			if counted[l] {
				continue
			}
			counted[l] = true
			n := sizeOf(l)
			imgs.size += n
			if !usedLayer[l] {
				imgs.reclaimable += n
			}
		}
	}
	vols := dfRow{kind: "Local Volumes", reclaimablePercent: true}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE")
	for _, r := range []dfRow{imgs, ctrs, vols} {
		fmt.Fprintln(w, r.String())
	}
	return w.Flush()
}
