package main

import (
	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"mydocker/container"
	"mydocker/image"
	"mydocker/utils"
)

var commitCommand = cli.Command{
	Name:      "commit",
	Usage:     "save what a container sees (not its volumes) as <root>/image/IMAGE.tar",
	ArgsUsage: "CONTAINER IMAGE",
	Action:    commitAction,
}

func commitAction(ctx *cli.Context) error {
	if ctx.NArg() != 2 {
		return errors.New(`"commit" requires a CONTAINER and an IMAGE name`)
	}
	name := ctx.Args().Get(1)
	if err := image.ValidateName(name); err != nil {
		return err
	}
	store := container.NewStore(root(ctx))
	id, err := store.Resolve(ctx.Args().First())
	if err != nil {
		return err
	}
	images := image.NewStore(root(ctx))
	if err := store.Commit(images, id, name); err != nil {
		return err
	}
	log.Infof("committed %s as %s", utils.ShortID(id), images.TarPath(name))
	return nil
}
