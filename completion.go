package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/constant"
	"mydocker/container"
	"mydocker/image"
	"mydocker/network"
)

// Shell completion: `completion bash|zsh` prints a script that asks the
// binary itself (the hidden `__complete` command) for the words that fit
// where the cursor is, so commands, flags and the names of containers,
// images, networks and volumes always match this binary and its state.

var completionCommand = cli.Command{
	Name:      "completion",
	Usage:     "print a shell completion script: source <(mydocker completion bash)",
	ArgsUsage: "bash|zsh",
	Action: func(ctx *cli.Context) error {
		if ctx.NArg() != 1 {
			return errors.New(`"completion" requires one argument: bash or zsh`)
		}
		switch ctx.Args().First() {
		case "bash":
			fmt.Print(bashCompletion)
		case "zsh":
			fmt.Print(zshCompletion)
		default:
			return errors.Errorf("invalid shell %q: want bash or zsh", ctx.Args().First())
		}
		return nil
	},
}

// completeCommand prints one candidate a line for the words typed so far
// (the last one the word being completed); the shell filters by prefix.
// It never fails: a shell must not show errors while the user types.
var completeCommand = cli.Command{
	Name:            completeName,
	Hidden:          true,
	SkipFlagParsing: true,
	Action: func(ctx *cli.Context) error {
		c := completer{app: ctx.App, names: stateNames{root: rootFromWords(ctx.Args())}}
		for _, w := range c.complete(ctx.Args()) {
			fmt.Println(w)
		}
		return nil
	},
}

const completeName = "__complete"

const bashCompletion = `# bash completion for mydocker: source <(mydocker completion bash)
_mydocker() {
	local cur="${COMP_WORDS[COMP_CWORD]}" IFS=$'\n'
	COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" ` + completeName + ` "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)" -- "$cur"))
}
complete -o default -F _mydocker mydocker
`

const zshCompletion = `#compdef mydocker
# zsh completion for mydocker: source <(mydocker completion zsh), or save
# it as _mydocker in a directory of $fpath.
_mydocker() {
	local -a cands
	cands=("${(@f)$(${words[1]} ` + completeName + ` "${(@)words[2,CURRENT]}" 2>/dev/null)}")
	cands=(${cands:#})
	if (( ${#cands} )); then
		compadd -a cands
	else
		_files
	fi
}
if [[ "${zsh_eval_context[-1]}" == loadautofunc ]]; then
	_mydocker "$@"
else
	compdef _mydocker mydocker
fi
`

// lister names what a command can act on; stateNames reads it from the
// state root, tests give fixed lists.
type lister interface {
	containers() []string
	images() []string
	networks() []string
	volumes() []string
}

type completer struct {
	app   *cli.App
	names lister
}

// What the arguments of each command are.
const (
	argContainer = iota + 1
	argImage
	argNetwork
	argVolume
	argImageThenCommand // run, create: the image, then the container's own words
	argPod
)

var commandArgs = map[string]int{
	"run": argImageThenCommand, "create": argImageThenCommand,
	"rmi": argImage, "push": argImage, "tag": argImage, "history": argImage, "save": argImage, "pull": argImage,
	"image inspect": argImage, "image rm": argImage, "image history": argImage, "image push": argImage,
	"image tag": argImage, "image save": argImage, "image pull": argImage,
	"network remove": argNetwork, "network inspect": argNetwork,
	"volume rm": argVolume, "volume inspect": argVolume,
	"logs": argContainer, "exec": argContainer, "stop": argContainer, "start": argContainer, "rm": argContainer,
	"commit": argContainer, "inspect": argContainer, "stats": argContainer, "update": argContainer,
	"pause": argContainer, "unpause": argContainer, "port": argContainer, "wait": argContainer, "kill": argContainer,
	"restart": argContainer, "rename": argContainer, "top": argContainer, "diff": argContainer,
	"cp": argContainer,
}

// flagValues are the flags whose value is a name this state holds.
var flagValues = map[string]int{
	"--network": argNetwork, "--net": argNetwork, "-net": argNetwork,
	"--volume": argVolume, "-v": argVolume,
}

func (c *completer) complete(words []string) []string {
	if len(words) == 0 {
		words = []string{""}
	}
	cur, done := words[len(words)-1], words[:len(words)-1]
	// The command path: global flags first (--root takes a value), then
	// a command and perhaps a subcommand.
	var path []string
	cmds := c.app.Commands
	var cmd *cli.Command
	args := 0 // arguments after the command path
	for i := 0; i < len(done); i++ {
		w := done[i]
		if strings.HasPrefix(w, "-") {
			if cmd == nil && takesValue(c.app.Flags, w) && !strings.Contains(w, "=") {
				i++
			} else if cmd != nil && takesValue(cmd.Flags, w) && !strings.Contains(w, "=") {
				i++
			}
			continue
		}
		if sub := findCommand(cmds, w); sub != nil && args == 0 {
			cmd, path, cmds = sub, append(path, sub.Name), sub.Subcommands
			continue
		}
		args++
	}
	if strings.HasPrefix(cur, "-") {
		if cmd == nil {
			return flagNames(c.app.Flags)
		}
		return flagNames(cmd.Flags)
	}
	if len(done) > 0 {
		if kind, ok := flagValues[done[len(done)-1]]; ok && cmd != nil && takesValue(cmd.Flags, done[len(done)-1]) {
			return c.namesOf(kind)
		}
	}
	if cmd == nil || (len(cmd.Subcommands) > 0 && args == 0) {
		return commandNames(cmds)
	}
	kind := commandArgs[strings.Join(path, " ")]
	if kind == argImageThenCommand {
		if args > 0 {
			return nil // the container's command: the shell's own (files)
		}
		kind = argImage
	}
	return c.namesOf(kind)
}

func (c *completer) namesOf(kind int) []string {
	switch kind {
	case argContainer:
		return c.names.containers()
	case argImage:
		return c.names.images()
	case argNetwork:
		return c.names.networks()
	case argVolume:
		return c.names.volumes()
	case argPod:
		if p, ok := c.names.(podLister); ok {
			return p.pods()
		}
	}
	return nil
}

func findCommand(cmds []cli.Command, name string) *cli.Command {
	for i := range cmds {
		if cmds[i].Hidden {
			continue
		}
		if cmds[i].Name == name {
			return &cmds[i]
		}
		for _, a := range cmds[i].Aliases {
			if a == name {
				return &cmds[i]
			}
		}
	}
	return nil
}

func commandNames(cmds []cli.Command) []string {
	var out []string
	for _, c := range cmds {
		if !c.Hidden {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}

// flagNames spells each flag as it is typed: -n for one letter, --name
// for more.
func flagNames(flags []cli.Flag) []string {
	var out []string
	for _, f := range flags {
		for _, n := range flagSpellings(f) {
			if len(n) == 1 {
				out = append(out, "-"+n)
			} else {
				out = append(out, "--"+n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// flagSpellings are a flag's names without dashes.
func flagSpellings(f cli.Flag) []string {
	if r, ok := f.(repeatableFlag); ok {
		return r.Names
	}
	var out []string
	for _, n := range strings.Split(f.GetName(), ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// takesValue reports whether word (-n, --name, or the blog's -name) is a
// flag of flags that is followed by a value.
func takesValue(flags []cli.Flag, word string) bool {
	name := strings.TrimLeft(word, "-")
	for _, f := range flags {
		for _, n := range flagSpellings(f) {
			if n != name {
				continue
			}
			switch f.(type) {
			case cli.BoolFlag, cli.BoolTFlag:
				return false
			}
			return true
		}
	}
	return false
}

// rootFromWords is the state root the completed command line will use.
func rootFromWords(words []string) string {
	for i, w := range words {
		if w == "--root" && i+1 < len(words) {
			return words[i+1]
		}
		if v, ok := strings.CutPrefix(w, "--root="); ok {
			return v
		}
	}
	if r := os.Getenv(constant.RootEnv); r != "" {
		return r
	}
	return constant.DefaultRoot
}

// stateNames lists names from a state root; what it cannot read it leaves out.
type stateNames struct{ root string }

func (s stateNames) containers() []string {
	recs, _ := container.NewStore(s.root).List()
	var out []string
	for _, r := range recs {
		out = append(out, r.Name)
	}
	sort.Strings(out)
	return out
}

func (s stateNames) images() []string {
	imgs, _ := image.NewStore(s.root).List()
	var out []string
	for _, img := range imgs {
		out = append(out, img.Names...)
	}
	sort.Strings(out)
	return out
}

func (s stateNames) networks() []string {
	nets, _ := network.NewStore(s.root).List()
	var out []string
	for _, n := range nets {
		out = append(out, n.Name)
	}
	sort.Strings(out)
	return out
}

func (s stateNames) volumes() []string {
	vols, _ := container.NewStore(s.root).Volumes().List()
	var out []string
	for _, v := range vols {
		out = append(out, v.Name)
	}
	sort.Strings(out)
	return out
}
