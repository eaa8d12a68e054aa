//go:build notransfer

package main

import (
	"errors"

	"github.com/urfave/cli"

	"mydocker/image"
)

// mydocker is built without the code that moves images (tag notransfer;
// image/notransfer.go says why): these commands run mydocker-kube, the
// whole CLI, in its place. So does any other command that finds it needs
// that code (image.ErrNeedsTransfer, caught in main.go): run and create
// of an image to pull, or of a blog tar not read yet.

func pullAction(*cli.Context) error   { return execWholeProgram() }
func pushAction(*cli.Context) error   { return execWholeProgram() }
func loadAction(*cli.Context) error   { return execWholeProgram() }
func saveAction(*cli.Context) error   { return execWholeProgram() }
func importAction(*cli.Context) error { return execWholeProgram() }
func commitAction(*cli.Context) error { return execWholeProgram() }
func loginAction(*cli.Context) error  { return execWholeProgram() }
func logoutAction(*cli.Context) error { return execWholeProgram() }

func pullImage(string, string) (*image.Image, error) { return nil, image.ErrNeedsTransfer }

// handOver runs the whole CLI in this program's place when a command
// found it needs the image transfer code (image.ErrNeedsTransfer), which
// is returned before anything has changed; other errors it returns.
func handOver(err error) error {
	if errors.Is(err, image.ErrNeedsTransfer) {
		return execWholeProgram()
	}
	return err
}
