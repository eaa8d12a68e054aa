package main

import (
	"flag"
	"strings"

	"github.com/urfave/cli"
)

// repeatableFlag is a repeatable string flag with several spellings (the
// blog's and Docker's: -v and --volume) feeding one list in command-line
// order. urfave/cli v1 refuses to mix two spellings of a StringSliceFlag
// in one command line, which `-v a:b --volume c:d` legitimately does.
type repeatableFlag struct {
	Names []string // first is the name Context.StringSlice looks up
	Usage string
}

func (f repeatableFlag) Apply(set *flag.FlagSet) {
	v := &cli.StringSlice{}
	for _, n := range f.Names {
		set.Var(v, n, f.Usage)
	}
}

// GetName returns one name only, so cli does not treat the spellings as
// rival forms of one flag.
func (f repeatableFlag) GetName() string { return f.Names[0] }

func (f repeatableFlag) String() string {
	spell := make([]string, len(f.Names))
	for i, n := range f.Names {
		if len(n) == 1 {
			spell[i] = "-" + n
		} else {
			spell[i] = "--" + n
		}
	}
	return strings.Join(spell, ", ") + " value\t" + f.Usage + " (repeatable)"
}
