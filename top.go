package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/container"
)

var topCommand = cli.Command{
	Name:      "top",
	Usage:     "show a container's processes, as the host's ps sees them (default ps -ef)",
	ArgsUsage: "CONTAINER [ps OPTIONS]",
	// Everything after CONTAINER is ps's: top C -o pid,comm.
	SkipFlagParsing: true,
	Action:          topAction,
}

func topAction(ctx *cli.Context) error {
	if ctx.NArg() == 0 {
		return errors.New(`"top" requires a CONTAINER: mydocker top CONTAINER [ps OPTIONS]`)
	}
	store := container.NewStore(root(ctx))
	id, err := store.Resolve(ctx.Args().First())
	if err != nil {
		return err
	}
	psArgs := ctx.Args().Tail()
	if len(psArgs) == 0 {
		psArgs = []string{"-ef"}
	}
	pids, err := store.Pids(id)
	if err != nil {
		return err
	}
	// ps runs with the arguments as given, never through a shell.
	cmd := exec.Command("ps", psArgs...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return errors.Errorf("ps %s failed: %v: %s", strings.Join(psArgs, " "), err, firstLine(stderr.String()))
	}
	table, err := filterPs(string(out), pids)
	if err != nil {
		return err
	}
	fmt.Print(table)
	return nil
}

// filterPs keeps the header of ps's output and the lines of the given
// pids, found in the PID column, as Docker's top does. The columns before
// PID must not contain spaces, which holds for every column ps prints
// before CMD/COMMAND.
func filterPs(out string, pids []int) (string, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	col := -1
	for i, h := range strings.Fields(lines[0]) {
		if h == "PID" {
			col = i
		}
	}
	if col < 0 {
		return "", errors.New("ps output has no PID column: give ps options that print it (-o pid,...)")
	}
	want := map[int]bool{}
	for _, p := range pids {
		want[p] = true
	}
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) <= col {
			continue
		}
		if pid, err := strconv.Atoi(f[col]); err == nil && want[pid] {
			b.WriteString(l + "\n")
		}
	}
	return b.String(), nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
