package main

// The commands that move images in and out of the store: pull, push,
// load, save, import, commit, login and logout. Their flags and help are
// here, in every build; their actions are in pull.go, commit.go and
// login.go, which mydocker is built without (tag notransfer), and which
// then run mydocker-kube, the whole CLI (transfer_program.go).

import "github.com/urfave/cli"

var registryFlags = []cli.Flag{
	cli.BoolFlag{Name: "q, quiet", Usage: "print only the reference"},
	cli.BoolTFlag{Name: "tls-verify", Usage: "use HTTPS and verify certificates (--tls-verify=false for a plain HTTP registry; localhost and 127.0.0.1 need no flag)"},
}

var pullCommand = cli.Command{
	Name:      "pull",
	Usage:     "download an image from a registry",
	ArgsUsage: "NAME[:TAG|@DIGEST]",
	Flags:     append([]cli.Flag{cli.StringFlag{Name: "platform", Usage: "os/arch[/variant] of a multi-platform image (default: this machine's)"}}, registryFlags...),
	Action:    pullAction,
}

var pushCommand = cli.Command{
	Name:      "push",
	Usage:     "upload an image to a registry",
	ArgsUsage: "NAME[:TAG]",
	Flags:     registryFlags,
	Action:    pushAction,
}

var loadCommand = cli.Command{
	Name:      "load",
	Usage:     "load images from a docker-archive or OCI archive (docker save, podman save, skopeo)",
	ArgsUsage: " ",
	Flags: []cli.Flag{
		cli.StringFlag{Name: "i, input", Usage: "read from this file (or OCI layout directory) instead of stdin"},
		cli.BoolFlag{Name: "q, quiet", Usage: "no progress output"},
	},
	Action: loadAction,
}

var saveCommand = cli.Command{
	Name:      "save",
	Usage:     "write images as a docker-archive (docker load and podman load read it)",
	ArgsUsage: "IMAGE...",
	Flags:     []cli.Flag{cli.StringFlag{Name: "o, output", Usage: "write to this file instead of stdout"}},
	Action:    saveAction,
}

var commitCommand = cli.Command{
	Name:      "commit",
	Usage:     "make an image of a container's changes (not its volumes); IMAGE also goes to <root>/image/IMAGE.tar",
	ArgsUsage: "CONTAINER [IMAGE[:TAG]]",
	Flags: []cli.Flag{
		cli.StringFlag{Name: "a, author", Usage: `author ("Name <email>")`},
		cli.StringFlag{Name: "m, message", Usage: "commit message"},
		cli.StringSliceFlag{Name: "c, change", Usage: "apply a Dockerfile instruction: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR, STOPSIGNAL, VOLUME"},
		cli.BoolTFlag{Name: "p, pause", Usage: "accepted for Docker's scripts; the upper layer is read as it is"},
	},
	Action: commitAction,
}

var loginCommand = cli.Command{
	Name:      "login",
	Usage:     "log in to a registry (Docker Hub if none is given); credentials go to $REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json or ~/.docker/config.json",
	ArgsUsage: "[REGISTRY]",
	Flags: []cli.Flag{
		cli.StringFlag{Name: "u, username", Usage: "username"},
		cli.StringFlag{Name: "p, password", Usage: "password (insecure: seen by every user in ps; prefer --password-stdin)"},
		cli.BoolFlag{Name: "password-stdin", Usage: "read the password from stdin"},
		cli.BoolTFlag{Name: "tls-verify", Usage: "require HTTPS (--tls-verify=false allows plain HTTP; localhost needs no flag)"},
	},
	Action: loginAction,
}

var logoutCommand = cli.Command{
	Name:      "logout",
	Usage:     "remove a registry's stored credentials (Docker Hub if none is given)",
	ArgsUsage: "[REGISTRY]",
	Action:    logoutAction,
}
