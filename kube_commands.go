package main

import "github.com/urfave/cli"

// play kube and generate kube are declared here for every build, so that
// help, completion and the man page know them; their code is in kube.go,
// built only into mydocker-kube, which mydocker runs for them
// (kube_program.go).

var playCommand = cli.Command{
	Name:  "play",
	Usage: "create pods from structured input",
	Subcommands: []cli.Command{{
		Name:      "kube",
		Usage:     "create and start the pods of Kubernetes YAML (v1 Pod, apps/v1 Deployment)",
		ArgsUsage: "FILE|-",
		Flags: []cli.Flag{
			cli.BoolFlag{Name: "down", Usage: "remove the pods and volumes the YAML made"},
		},
		OnUsageError: onUsageError,
		Action:       playKube,
	}},
}

var generateCommand = cli.Command{
	Name:  "generate",
	Usage: "generate structured output from containers and pods",
	Subcommands: []cli.Command{{
		Name:         "kube",
		Usage:        "print a Kubernetes v1 Pod for containers (one pod) or pods",
		ArgsUsage:    "CONTAINER|POD...",
		OnUsageError: onUsageError,
		Action:       generateKube,
	}},
}
