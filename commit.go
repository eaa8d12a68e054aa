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
	if err := commitContainer(store, images, id, name); err != nil {
		return err
	}
	log.Infof("committed %s as %s", utils.ShortID(id), images.TarPath(name))
	return nil
}

// commitContainer packs the container's merged root into the image store.
// It holds the container's lock, so the container is not started, stopped
// or removed meanwhile. A stopped container's overlay is mounted for the
// copy and unmounted after. Volumes are mounted only in the container's
// own namespace, so the host's view of merged never includes them.
func commitContainer(store *container.Store, images *image.Store, id, name string) (err error) {
	lock, err := store.Lock(id)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	rec, err := store.Get(id)
	if err != nil {
		return err
	}
	ws := container.Workspace{Dir: store.WorkspaceDir(id)}
	if rec.State.Status != container.StatusRunning {
		if err := ws.Mount(rec.Layers); err != nil {
			return err
		}
		defer func() {
			if uerr := ws.Unmount(); uerr != nil && err == nil {
				err = uerr
			}
		}()
	}
	if err := ws.CheckMounted(); err != nil {
		return errors.Wrapf(err, "commit %s", rec.Name)
	}
	f, err := images.Writer()
	if err != nil {
		return err
	}
	defer images.Discard(f)
	if err := image.Pack(f, ws.Merged()); err != nil {
		return errors.Wrapf(err, "commit %s", rec.Name)
	}
	return images.Commit(f, name)
}
