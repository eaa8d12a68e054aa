//go:build manpage

package main

import (
	"fmt"
	"os"
	"strings"
)

// Built only by `make man` (-tags manpage, without urfave_cli_no_docs):
// `mydocker __manpage` prints mydocker(1) in roff, made from the same
// command and flag definitions the CLI runs, so the page cannot drift
// from the binary. The binary `make build` writes has neither this nor
// the markdown-to-roff generator in it.
func init() {
	if len(os.Args) != 2 || os.Args[1] != "__manpage" {
		return
	}
	app := newApp()
	app.Usage = "a daemonless container CLI"
	page, err := app.ToMan()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mydocker: man page:", err)
		os.Exit(1)
	}
	// cli titles every page as section 8 and puts the description in
	// the title: a user command belongs in section 1, its description
	// under DESCRIPTION.
	var out []string
	for _, line := range strings.Split(page, "\n") {
		switch {
		case strings.HasPrefix(line, ".TH "):
			line = fmt.Sprintf(`.TH MYDOCKER 1 "" "mydocker %s" "User Commands"`, version)
		case line == ".SH ":
			continue
		case line == ".SH GLOBAL OPTIONS":
			desc := strings.Join(strings.Fields(strings.ReplaceAll(usage, "\n", " ")), " ")
			out = append(out, ".SH DESCRIPTION", "A "+strings.TrimPrefix(desc, "a "), "")
		}
		out = append(out, line)
	}
	fmt.Print(strings.Join(out, "\n"))
	os.Exit(0)
}
