//go:build !notransfer

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/pkg/errors"
	"github.com/urfave/cli"
	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"mydocker/registry"
)

func loginAction(ctx *cli.Context) error {
	if ctx.NArg() > 1 {
		return errors.New(`"login" takes at most one REGISTRY`)
	}
	reg := ctx.Args().First()
	// A mistyped registry is reported before any prompt.
	if _, err := registry.Host(reg); err != nil {
		return err
	}
	user, pass := ctx.String("username"), ctx.String("password")
	switch {
	case pass != "" && ctx.Bool("password-stdin"):
		return errors.New("--password and --password-stdin are mutually exclusive")
	case ctx.Bool("password-stdin"):
		if user == "" {
			return errors.New("--password-stdin needs --username")
		}
		data, err := io.ReadAll(os.Stdin)
		if err != nil {
			return errors.Wrap(err, "read password from stdin")
		}
		if pass = strings.TrimRight(string(data), "\r\n"); pass == "" {
			return errors.New("--password-stdin: stdin held no password")
		}
	case pass != "":
		fmt.Fprintln(os.Stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
	}
	insecure := !ctx.BoolT("tls-verify")
	if user == "" && pass == "" {
		// As Docker: credentials stored before are tried first, so a
		// script can run login again without a password at hand.
		done, err := loginStored(reg, insecure)
		if done || err != nil {
			return err
		}
	}
	if user == "" || pass == "" {
		var err error
		if user, pass, err = prompt(user, pass); err != nil {
			return err
		}
	}
	if err := registry.Login(context.Background(), reg, user, pass, insecure); err != nil {
		return err
	}
	fmt.Println("Login Succeeded")
	return nil
}

// loginStored logs in with the credentials stored for reg, if there are
// any. When the registry refuses them, a user at a terminal is asked for
// new ones (done is false); without a terminal that is the error.
func loginStored(reg string, insecure bool) (done bool, err error) {
	cred, ok, err := registry.Stored(reg)
	if err != nil || !ok || cred.Username == "" || cred.Password == "" {
		return false, err
	}
	fmt.Printf("Authenticating with existing credentials... [Username: %s]\n", cred.Username)
	err = registry.Login(context.Background(), reg, cred.Username, cred.Password, insecure)
	if err == nil {
		fmt.Println("Login Succeeded")
		return true, nil
	}
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return false, err
	}
	fmt.Printf("Login did not succeed, error: %v\n", err)
	return false, nil
}

// prompt asks at the terminal for what the flags did not give, the
// password without echo. Without a terminal it fails rather than wait on
// a pipe that will never say anything, as Docker does.
func prompt(user, pass string) (string, string, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", "", errors.New("cannot prompt for a username or password without a terminal: use --username with --password-stdin")
	}
	if user == "" {
		fmt.Print("Username: ")
		line, err := readLine(os.Stdin)
		if err != nil {
			return "", "", errors.Wrap(err, "read username")
		}
		if user = strings.TrimSpace(line); user == "" {
			return "", "", errors.New("username is required")
		}
	}
	if pass == "" {
		b, err := readPassword(fd, "Password: ")
		fmt.Println() // the user's Enter was not echoed
		if err != nil {
			return "", "", errors.Wrap(err, "read password")
		}
		if pass = string(b); pass == "" {
			return "", "", errors.New("password is required")
		}
	}
	return user, pass, nil
}

// readPassword reads a line with echo off. ^C there must not leave the
// user's terminal without echo: term.ReadPassword restores it only when
// it returns, so a signal restores it here before mydocker exits as
// killed by it (128+N).
func readPassword(fd int, prompt string) ([]byte, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return nil, errors.Wrap(err, "read terminal state")
	}
	// Echo goes off before the prompt is shown: what is typed as soon as
	// the prompt appears must not reach the screen.
	tios, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, errors.Wrap(err, "read terminal state")
	}
	tios.Lflag &^= unix.ECHO
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, tios); err != nil {
		return nil, errors.Wrap(err, "turn off echo")
	}
	defer term.Restore(fd, state) //nolint:errcheck // best effort: the read's error matters more
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case sig := <-sigs:
			term.Restore(fd, state) //nolint:errcheck // exiting: nothing better to do
			fmt.Println()
			os.Exit(128 + int(sig.(unix.Signal)))
		case <-done:
		}
	}()
	fmt.Print(prompt)
	return term.ReadPassword(fd)
}

// readLine reads up to a newline one byte at a time: a buffered reader
// could swallow what is typed after it, which the password read needs.
func readLine(f *os.File) (string, error) {
	var sb strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := f.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				return sb.String(), nil
			}
			sb.WriteByte(buf[0])
		}
		if err == io.EOF {
			return sb.String(), nil
		}
		if err != nil {
			return "", err
		}
	}
}

func logoutAction(ctx *cli.Context) error {
	if ctx.NArg() > 1 {
		return errors.New(`"logout" takes at most one REGISTRY`)
	}
	reg := ctx.Args().First()
	host, err := registry.Host(reg)
	if err != nil {
		return err
	}
	if host == registry.DockerHub {
		host = registry.DockerHubKey // as Docker names it here
	}
	err = registry.Logout(reg)
	if errors.Is(err, registry.ErrNotLoggedIn) {
		fmt.Printf("Not logged in to %s\n", host)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Printf("Removing login credentials for %s\n", host)
	return nil
}
