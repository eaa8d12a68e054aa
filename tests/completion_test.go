package tests

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Completion as a user gets it: the script the binary prints, sourced in
// a real bash and zsh, asked for the words at the cursor, answered from
// this root's containers, images, networks and volumes.

// shellComplete runs the completion function of shell for words (the last
// one being completed) and returns what it offers.
func (e *env) shellComplete(shell string, words ...string) []string {
	e.t.Helper()
	script, err := os.CreateTemp(e.root, "completion-")
	if err != nil {
		e.t.Fatal(err)
	}
	script.WriteString(e.ok("completion", shell) + "\n")
	script.Close()
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = "'" + w + "'"
	}
	var prog string
	switch shell {
	case "bash":
		// mydocker is found through PATH, as the user's is.
		prog = "source " + script.Name() + "\nCOMP_WORDS=(mydocker " + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" +
			strconv.Itoa(len(words)) + "\n_mydocker\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
	case "zsh":
		// zsh's completion system stands in: compdef registers, compadd
		// shows what it is given, _files marks the fallback to files.
		prog = "compdef() { : }\ncompadd() { [[ $1 == -a ]] && print -l -- ${(M)${(P)2}:#${words[CURRENT]}*} }\n_files() { print FILES }\n" +
			"source " + script.Name() + "\nwords=(mydocker " + strings.Join(quoted, " ") + ")\nCURRENT=" +
			strconv.Itoa(len(words)+1) + "\n_mydocker\n"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, shell, "-c", prog)
	c.Env = append(os.Environ(), "MYDOCKER_ROOT="+e.root, "PATH="+strings.TrimSuffix(binary, "/mydocker")+":"+os.Getenv("PATH"))
	out, err := c.CombinedOutput()
	if err != nil {
		e.t.Fatalf("%s completion of %q: %v\n%s", shell, words, err, out)
	}
	return strings.Fields(string(out))
}

func TestShellCompletion(t *testing.T) {
	e := newEnv(t)
	netName, _ := e.createNetwork(24)
	e.ok("volume", "create", "compdata")
	e.ok("run", "-d", "--name", "webserver", "--network", "none", "busybox", "sleep", "1000")
	e.ok("create", "--name", "worker", "--network", "none", "busybox", "true")
	for _, shell := range []string{"bash", "zsh"} {
		for _, tc := range []struct {
			words []string
			want  []string // all offered
			not   []string // none offered
		}{
			{[]string{"st"}, []string{"start", "stop", "stats"}, []string{"run"}},
			{[]string{"rm", "w"}, []string{"webserver", "worker"}, []string{"busybox:latest"}},
			{[]string{"logs", ""}, []string{"webserver", "worker"}, nil},
			{[]string{"run", "--rm", "busy"}, []string{"busybox:latest"}, []string{"webserver"}},
			{[]string{"run", "--net", ""}, []string{netName}, nil},
			{[]string{"run", "--network", netName, "-v", ""}, []string{"compdata"}, nil},
			{[]string{"network", ""}, []string{"create", "inspect", "list", "remove"}, nil},
			{[]string{"network", "rm", ""}, []string{netName}, []string{"webserver"}},
			{[]string{"volume", "inspect", ""}, []string{"compdata"}, nil},
			{[]string{"ps", "--"}, []string{"--all", "--quiet", "--filter", "--format"}, nil},
			{[]string{"--root", e.root, "kill", ""}, []string{"webserver"}, nil},
		} {
			got := e.shellComplete(shell, tc.words...)
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("%s: %q offers %q, missing %q", shell, tc.words, got, w)
				}
			}
			for _, w := range tc.not {
				if slices.Contains(got, w) {
					t.Errorf("%s: %q offers %q, not wanted", shell, tc.words, w)
				}
			}
		}
		// After run's image come the container's own words: the shell's
		// file completion, not names.
		got := e.shellComplete(shell, "run", "busybox", "")
		if shell == "zsh" && !slices.Equal(got, []string{"FILES"}) || shell == "bash" && slices.Contains(got, "webserver") {
			t.Errorf("%s: run busybox <TAB> offers %q", shell, got)
		}
	}
	e.run(125, "completion", "fish")
	e.run(125, "completion")
}

// An unknown flag is named as typed, dashes and all.
func TestUnknownFlagAsTyped(t *testing.T) {
	e := newEnv(t)
	for flag, want := range map[string]string{"--bogus": "unknown flag --bogus", "-Z": "unknown flag -Z", "--bogus=1": "unknown flag --bogus"} {
		r := e.run(125, "run", flag, "busybox", "true")
		if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, want+" ") {
			t.Errorf("run %s: stderr %q, want %q", flag, r.stderr, want)
		}
	}
	e.assertNothingLeft()
}
