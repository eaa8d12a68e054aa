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

// kubeProgram is the CLI built with play kube and generate kube
// (kube.go), installed beside mydocker.
const kubeProgram = "mydocker-kube"

func playKube(*cli.Context) error     { return execKubeProgram() }
func generateKube(*cli.Context) error { return execKubeProgram() }

// execKubeProgram becomes mydocker-kube with this command line: it is
// the same CLI, so every flag reads the same, and as this process it has
// the caller's stdin, terminal, signals and exit code.
func execKubeProgram() error {
	p, ok := container.BesideSelf(kubeProgram)
	if !ok {
		return errors.Errorf("%s is not beside mydocker in %s: play kube and generate kube run it (make build and make install put it there)", kubeProgram, filepath.Dir(p))
	}
	args := append([]string{kubeProgram}, os.Args[1:]...)
	return errors.Wrapf(syscall.Exec(p, args, os.Environ()), "run %s", p)
}
