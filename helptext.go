package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli"
)

// seriesSpellings are the long flags the series types with one dash
// (`run -it -name web -mem 100m -net testbridge`): Go's flag parsing
// takes both, and help shows both so a reader of either finds theirs.
var seriesSpellings = map[string]bool{"it": true, "name": true, "mem": true, "net": true, "cpu": true, "cpuset": true}

// runFlagGroups sorts run's flags into the groups Docker's documentation
// uses; a flag not named here is listed under "Other".
var runFlagGroups = []struct {
	title string
	flags []string
}{
	{"Running", []string{"it", "i", "t", "d", "rm", "name", "hostname", "w", "entrypoint", "u", "e", "env-file",
		"l", "label-file", "pull", "init", "stop-signal", "stop-timeout", "restart", "cidfile"}},
	{"Resources (cgroups)", []string{"m", "memory-swap", "memory-reservation", "cpus", "cpu", "cpu-shares", "cpu-weight",
		"cpu-period", "cpu-quota", "cpuset-cpus", "pids-limit", "blkio-weight", "device-read-bps", "device-write-bps",
		"ulimit", "shm-size"}},
	{"Network", []string{"net", "p", "P", "ip", "network-alias", "add-host", "dns", "dns-search", "dns-option"}},
	{"Storage", []string{"v", "mount", "tmpfs", "read-only"}},
	{"Security", []string{"privileged", "cap-add", "cap-drop", "security-opt", "group-add", "device"}},
	{"Namespaces and pods", []string{"pod", "ipc", "pid", "uts", "userns"}},
	{"Health", []string{"health-cmd", "health-interval", "health-timeout", "health-retries", "health-start-period",
		"no-healthcheck"}},
	{"Logging", []string{"log-opt", "log-driver"}},
}

// flagHelp is what help shows of one flag.
type flagHelp struct {
	names []string // every spelling, as cli knows them
	value bool     // takes a value
	usage string
}

func describeFlag(f cli.Flag) flagHelp {
	split := func(s string) []string {
		var out []string
		for _, n := range strings.Split(s, ",") {
			out = append(out, strings.TrimSpace(n))
		}
		return out
	}
	switch f := f.(type) {
	case cli.BoolFlag:
		return flagHelp{names: split(f.Name), usage: f.Usage}
	case cli.StringFlag:
		u := f.Usage
		if f.Value != "" {
			u += fmt.Sprintf(" (default %q)", f.Value)
		}
		return flagHelp{names: split(f.Name), value: true, usage: u}
	case cli.IntFlag:
		return flagHelp{names: split(f.Name), value: true, usage: f.Usage}
	case repeatableFlag:
		return flagHelp{names: f.Names, value: true, usage: f.Usage + " (repeatable)"}
	}
	name, usage, _ := strings.Cut(f.String(), "\t")
	return flagHelp{names: split(strings.TrimSpace(strings.Fields(name + " x")[0])), usage: usage}
}

// spell shows a flag's names with the dashes each reader types: -m and
// --memory as Docker, and the series' one-dash -mem beside them.
func (h flagHelp) spell() string {
	var short, long []string
	for _, n := range h.names {
		switch {
		case n == "it":
			short = append(short, "-it")
		case len(n) == 1:
			short = append(short, "-"+n)
		case seriesSpellings[n]:
			long = append(long, "--"+n, "-"+n)
		default:
			long = append(long, "--"+n)
		}
	}
	s := strings.Join(append(short, long...), ", ")
	if h.value {
		s += " VALUE"
	}
	return s
}

// groupedFlagsHelp lays out flags under the groups' titles, in the
// groups' order, each group's flags in the order they are declared.
func groupedFlagsHelp(flags []cli.Flag) string {
	group := map[string]int{}
	for i, g := range runFlagGroups {
		for _, n := range g.flags {
			group[n] = i
		}
	}
	other := len(runFlagGroups)
	byGroup := make([][]flagHelp, other+1)
	for _, f := range flags {
		h := describeFlag(f)
		g := other
		for _, n := range h.names {
			if i, ok := group[n]; ok {
				g = i
				break
			}
		}
		byGroup[g] = append(byGroup[g], h)
	}
	var b strings.Builder
	for i, hs := range byGroup {
		if len(hs) == 0 {
			continue
		}
		title := "Other"
		if i < other {
			title = runFlagGroups[i].title
		}
		fmt.Fprintf(&b, "\n%s:\n", title)
		tw := tabwriter.NewWriter(&b, 0, 8, 3, ' ', 0)
		for _, h := range hs {
			fmt.Fprintf(tw, "   %s\t%s\n", h.spell(), h.usage)
		}
		tw.Flush()
	}
	return b.String()
}

// commandHelpTemplate is cli's help for one command, with run's flags
// grouped. The flag text is literal: braces in it are escaped.
func commandHelpTemplate(c cli.Command, intro string) string {
	flags := strings.ReplaceAll(groupedFlagsHelp(c.Flags), "{{", `{{"{{"}}`)
	return `NAME:
   {{.HelpName}} - {{.Usage}}

USAGE:
   {{.HelpName}} [OPTIONS] {{.ArgsUsage}}
` + intro + flags
}

// setRunHelp lays out run's and create's help, grouped, when it is
// printed: laid out whenever the app was built, it cost every command,
// exec as much as run, a third of a millisecond for help no one asked for.
func setRunHelp() {
	const intro = `
Flags end at IMAGE: everything after it is the command. Single-letter flags
combine as in Docker (-it, -dp 8080:80); the series' one-dash spellings
(-it, -name, -mem, -net, -cpu, -cpuset) work as written in its chapters.
`
	cli.HelpPrinter = func(w io.Writer, templ string, data interface{}) {
		if c, ok := data.(cli.Command); ok && templ == cli.CommandHelpTemplate && (c.Name == runCommand.Name || c.Name == createCommand.Name) {
			templ = commandHelpTemplate(c, intro)
		}
		defaultHelpPrinter(w, templ, data)
	}
}

// defaultHelpPrinter is urfave/cli's own.
var defaultHelpPrinter = cli.HelpPrinter

// suggest returns the known word closest to typed, if it is close enough
// to be a slip of the fingers: at most two edits, and fewer than half
// of the word.
func suggest(typed string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(typed, k); d < bestD && d*2 < len(k)+1 {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Damerau-Levenshtein distance (with adjacent
// swaps, the commonest slip: rnu for run) between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// unknownCommand is the one line for a command mydocker does not have,
// with the nearest one when the word looks like a slip.
func unknownCommand(typed string, cmds []cli.Command, parent string) error {
	help := "mydocker --help"
	if parent != "" {
		help = "mydocker " + parent + " --help"
	}
	var names []string
	for _, c := range cmds {
		if !c.Hidden {
			names = append(names, c.Names()...) // network ls as well as list
		}
	}
	if s := suggest(typed, names); s != "" {
		return fmt.Errorf("unknown command %q: did you mean %q? (see %s)", typed, s, help)
	}
	return fmt.Errorf("unknown command %q (see %s)", typed, help)
}
