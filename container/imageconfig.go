package container

import (
	"path"
	"reflect"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/pkg/errors"
	"golang.org/x/sys/unix"

	"mydocker/container/security"
)

// DefaultCmd runs in an image made from a plain rootfs tar (the blog's
// busybox, `import`), whose config says nothing but PATH, when the user
// names no command: the series' `run -it busybox` starts a shell.
var DefaultCmd = []string{"sh"}

// isBareRootfs reports whether img is the config the store gives a plain
// rootfs tar: nothing but PATH. Any image built by a tool says more
// (a Cmd, labels, history's config), and then Docker's rule holds: no
// command is an error.
func isBareRootfs(img v1.Config) bool {
	var rest []string
	for _, kv := range img.Env {
		if !strings.HasPrefix(kv, "PATH=") {
			rest = append(rest, kv)
		}
	}
	img.Env = rest
	return reflect.DeepEqual(img, v1.Config{})
}

// Overrides is what a run command line sets over the image's config.
type Overrides struct {
	// Entrypoint is --entrypoint; nil when not given, and "" clears the
	// image's.
	Entrypoint *string
	Args       []string // the command after IMAGE
	Env        []string // -e, already parsed
	WorkingDir string   // -w
	User       string   // -u
	StopSignal string   // --stop-signal
	// Labels are -l/--label-file's, over the image's labels.
	Labels map[string]string
}

// ApplyImage fills c (the record's config) from the image's config and
// the command line, with Docker's precedence: the command line wins.
func (c *Config) ApplyImage(img v1.Config, o Overrides) error {
	var err error
	if c.Entrypoint, c.Cmd, err = Command(img, o.Entrypoint, o.Args); err != nil {
		return err
	}
	c.Env = MergeEnv(img.Env, o.Env)
	c.Labels = MergeLabels(img.Labels, o.Labels)
	c.WorkingDir = o.WorkingDir
	if c.WorkingDir == "" && img.WorkingDir != "" {
		// An image's WorkingDir is absolute (Docker's builder makes it
		// so); a relative one would depend on where init happens to be.
		if !path.IsAbs(img.WorkingDir) {
			return errors.Errorf("image WorkingDir %q: must be an absolute path", img.WorkingDir)
		}
		c.WorkingDir = path.Clean(img.WorkingDir)
	}
	c.User = o.User
	if c.User == "" {
		c.User = img.User
	}
	if _, err := security.ParseUserSpec(c.User); err != nil {
		return err
	}
	c.StopSignal = o.StopSignal
	if c.StopSignal == "" {
		c.StopSignal = img.StopSignal
	}
	if c.StopSignal != "" {
		if _, err := ParseSignal(c.StopSignal); err != nil {
			return errors.Wrap(err, "stop signal")
		}
	}
	// Exposed: the image's ports and every published one, as Docker
	// lists them ("80/tcp").
	for p := range img.ExposedPorts {
		c.expose(p)
	}
	for _, p := range c.Ports {
		c.expose(strconv.Itoa(p.ContainerPort) + "/" + p.Protocol)
	}
	return nil
}

func (c *Config) expose(port string) {
	if c.ExposedPorts == nil {
		c.ExposedPorts = map[string]struct{}{}
	}
	c.ExposedPorts[port] = struct{}{}
}

// Command is what the container runs, by Docker's rules: the image's
// Entrypoint and Cmd; arguments after IMAGE replace Cmd; --entrypoint
// replaces Entrypoint and drops the image's Cmd (an entrypoint and a Cmd
// written for another one rarely fit), and --entrypoint "" clears it.
func Command(img v1.Config, entrypoint *string, args []string) (ep, cmd []string, err error) {
	switch {
	case entrypoint != nil && *entrypoint != "":
		ep, cmd = []string{*entrypoint}, args
	case entrypoint != nil:
		cmd = args
	default:
		ep, cmd = img.Entrypoint, img.Cmd
		if len(args) > 0 {
			cmd = args
		}
		if len(ep) == 0 && len(cmd) == 0 && isBareRootfs(img) {
			cmd = DefaultCmd
		}
	}
	if len(ep) == 0 && len(cmd) == 0 {
		return nil, nil, errors.New("no command specified: give one after IMAGE, or use an image with an Entrypoint or Cmd")
	}
	if first := append(append([]string{}, ep...), cmd...)[0]; first == "" {
		return nil, nil, errors.New("invalid command: empty program name")
	}
	return cloneStrings(ep), cloneStrings(cmd), nil
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string{}, s...)
}

// ParseSignal reads a signal as Docker does: a number, or a name with or
// without SIG, in any case (SIGQUIT, quit, 3). Realtime signals are
// accepted by number.
func ParseSignal(s string) (unix.Signal, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 64 {
			return 0, errors.Errorf("invalid signal %q: out of range 1-64", s)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, errors.Errorf("invalid signal %q", s)
}

// StopSignalNum is the signal stop sends the container first: its image's or
// --stop-signal's, else SIGTERM.
func (c *Config) StopSignalNum() unix.Signal {
	if c.StopSignal != "" {
		if sig, err := ParseSignal(c.StopSignal); err == nil {
			return sig
		}
	}
	return unix.SIGTERM
}
