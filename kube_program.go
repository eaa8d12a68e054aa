//go:build !kube

package main

import (
	"os"
	"path/filepath"
	"syscall"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
)

// wholeProgram is the whole CLI: built with play kube and generate kube
// (kube.go), the seccomp assembler and the image transfer code, installed
// beside mydocker.
const wholeProgram = "mydocker-kube"

func playKube(*cli.Context) error     { return execWholeProgram() }
func generateKube(*cli.Context) error { return execWholeProgram() }

// execWholeProgram becomes mydocker-kube with this command line: it is
// the same CLI, so every flag reads the same, and as this process it has
// the caller's stdin, terminal, signals and exit code.
func execWholeProgram() error {
	p, ok := container.BesideSelf(wholeProgram)
	if !ok {
		return errors.Errorf("%s is not beside mydocker in %s: play kube, generate kube and moving images in or out (pull, push, load, save, import, commit, login, logout, a new image tar) run it (make build and make install put it there)", wholeProgram, filepath.Dir(p))
	}
	args := append([]string{wholeProgram}, os.Args[1:]...)
	return errors.Wrapf(syscall.Exec(p, args, os.Environ()), "run %s", p)
}
