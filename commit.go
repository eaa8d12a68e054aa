//go:build !notransfer

package main

import (
	"fmt"
	"io"
	"os"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/image"
	"mydocker/progress"
)

func commitAction(ctx *cli.Context) error {
	if ctx.NArg() < 1 || ctx.NArg() > 2 {
		return errors.New(`"commit" requires a CONTAINER and optionally an IMAGE name`)
	}
	store := container.NewStore(root(ctx))
	ref, imageRef := ctx.Args().First(), ctx.Args().Get(1)
	var id string
	var err error
	if courseMode(ctx) && ctx.NArg() == 1 {
		// The series' chapter 7 form, `commit IMAGE`: its one container.
		imageRef = ref
		id, err = newestRunning(store)
	} else if id, err = store.Resolve(ref); err != nil && ctx.NArg() == 1 {
		var nf *container.NotFoundError
		if errors.As(err, &nf) {
			err = fmt.Errorf("%w: commit takes the container since chapter 14: mydocker commit CONTAINER %s (or %s=course for the series' chapter 7 form)", err, ref, modeEnv)
		}
	}
	if err != nil {
		return err
	}
	o := image.CommitOptions{Ref: imageRef, Author: ctx.String("author"), Message: ctx.String("message"), Changes: ctx.StringSlice("change")}
	if isTerminal(os.Stderr) { // stdout is for the image ID
		o.Progress = progress.New(os.Stderr, true, false)
	}
	if o.Ref != "" {
		if _, err := image.ParseReference(o.Ref); err != nil {
			return err
		}
	}
	images := image.NewStore(root(ctx))
	var imageID string
	err = store.Frozen(id, func(rec *container.Record, upper string) error {
		if rec.ImageDigest == "" {
			return fmt.Errorf("commit %s: the container's record names no image", rec.Name)
		}
		imageID, err = images.CommitLayer("sha256:"+rec.ImageDigest, func(w io.Writer) error {
			return image.PackDiff(w, upper)
		}, o)
		return errors.Wrapf(err, "commit %s", rec.Name)
	})
	if err != nil {
		return err
	}
	if o.Ref != "" {
		tar, err := images.WriteBlogTar(o.Ref)
		if err != nil {
			return err
		}
		if tar != "" {
			log.Infof("committed %s as %s", o.Ref, tar)
		}
	}
	fmt.Println(imageID)
	return nil
}
