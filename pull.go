//go:build !notransfer

package main

import (
	"fmt"
	"io"
	"os"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/image"
	"mydocker/progress"
	"mydocker/utils"
)

// isTerminal reports whether f is a terminal: progress bars only there.
// handOver returns a command's error: this program is the whole CLI, with
// no other to hand a command over to (transfer_program.go).
func handOver(err error) error { return err }

func pullOptions(ctx *cli.Context, out *os.File) image.PullOptions {
	return image.PullOptions{
		Platform: ctx.String("platform"),
		Insecure: !ctx.BoolT("tls-verify"),
		Quiet:    ctx.Bool("quiet"),
		TTY:      isTerminal(out),
		Out:      out,
		Keychain: keychain(),
	}
}

func pullAction(ctx *cli.Context) (err error) {
	if ctx.NArg() != 1 {
		return errors.New(`"pull" requires exactly one image NAME`)
	}
	ref := ctx.Args().First()
	defer warmSeccompCache(root(ctx), &err)()
	img, err := image.NewStore(root(ctx)).Pull(ref, pullOptions(ctx, os.Stdout))
	if err != nil {
		return err
	}
	r, err := image.ParseReference(ref)
	if err != nil {
		return err
	}
	_ = img
	fmt.Println(r.String())
	return nil
}

func pushAction(ctx *cli.Context) error {
	if ctx.NArg() != 1 {
		return errors.New(`"push" requires exactly one image NAME`)
	}
	ref := ctx.Args().First()
	digest, err := image.NewStore(root(ctx)).Push(ref, pullOptions(ctx, os.Stdout))
	if err != nil {
		return err
	}
	if ctx.Bool("quiet") {
		r, err := image.ParseReference(ref)
		if err != nil {
			return err
		}
		fmt.Println(r.Repo() + "@" + digest)
	}
	return nil
}

func loadAction(ctx *cli.Context) (err error) {
	var in io.Reader = os.Stdin
	input := ctx.String("input")
	if input != "" {
		if st, err := os.Stat(input); err == nil && st.IsDir() {
			in = nil
		} else {
			f, err := os.Open(input)
			if err != nil {
				return errors.Wrap(err, "open input")
			}
			defer f.Close()
			in = f
		}
	} else if isTerminal(os.Stdin) {
		return errors.New("requested load from stdin, but stdin is a terminal: use -i FILE or a pipe")
	}
	prog := progress.New(os.Stdout, isTerminal(os.Stdout), ctx.Bool("quiet"))
	defer warmSeccompCache(root(ctx), &err)()
	loaded, err := image.NewStore(root(ctx)).Load(input, in, image.LoadOptions{Progress: prog})
	if err != nil {
		return errors.Wrap(err, "load")
	}
	for _, n := range loaded {
		fmt.Println("Loaded image" + n)
	}
	return nil
}

func saveAction(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"save" requires at least one IMAGE`)
	}
	out := os.Stdout
	path := ctx.String("output")
	if path == "" && isTerminal(os.Stdout) {
		return errors.New("cowardly refusing to save to a terminal: use -o FILE or redirect")
	}
	store := image.NewStore(root(ctx))
	var prog *progress.Progress
	if path != "" {
		// The archive appears whole or not at all.
		tmp := path + ".mydocker-tmp"
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return errors.Wrap(err, "create output")
		}
		defer os.Remove(tmp)
		defer f.Close()
		if isTerminal(os.Stderr) {
			prog = progress.New(os.Stderr, true, false)
		}
		err = store.Save(f, ctx.Args(), prog)
		if prog != nil {
			prog.Wait()
		}
		if err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return errors.Wrap(err, "write output")
		}
		return errors.Wrap(os.Rename(tmp, path), "write output")
	}
	return store.Save(out, ctx.Args(), nil)
}

// pullImage pulls ref for run and create when the store lacks it
// (findImage).
func pullImage(stateRoot, ref string) (img *image.Image, err error) {
	defer warmSeccompCache(stateRoot, &err)()
	return image.NewStore(stateRoot).Pull(ref, image.PullOptions{Out: os.Stderr})
}

func importAction(ctx *cli.Context) (err error) {
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
	defer warmSeccompCache(root(ctx), &err)()
	img, err := store.Import(ctx.Args().Get(0), ctx.Args().Get(1))
	if err != nil {
		return err
	}
	fmt.Println(img.ID)
	return nil
}
