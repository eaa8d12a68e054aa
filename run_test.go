package main

import (
	"mydocker/container"
	"mydocker/container/security"
	"mydocker/container/spec"
	"reflect"
	"strings"
	"testing"

	"github.com/urfave/cli"
)

// parseRun parses a run command line the way the real CLI does, stopping
// before anything would be created.
func parseRun(args []string) (*runOptions, error) {
	app := newApp()
	var got *runOptions
	for i := range app.Commands {
		if app.Commands[i].Name == "run" {
			app.Commands[i].Action = func(ctx *cli.Context) error {
				var err error
				got, err = parseRunOptions(ctx)
				return err
			}
		}
	}
	app.Writer, app.ErrWriter = discard{}, discard{}
	err := app.Run(append([]string{"mydocker", "run"}, args...))
	return got, err
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestParseRunFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		check   func(*runOptions) bool
		wantErr string
	}{
		{"command stays whole", []string{"busybox", "sh", "-c", `echo "a  b"`},
			func(o *runOptions) bool {
				return reflect.DeepEqual(o.overrides.Args, []string{"sh", "-c", `echo "a  b"`})
			}, ""},
		{"flags after IMAGE belong to the command", []string{"busybox", "ls", "-l", "--rm", "-v", "x"},
			func(o *runOptions) bool {
				return !o.config.AutoRemove && len(o.config.Volumes) == 0 && len(o.overrides.Args) == 5
			}, ""},
		{"no command: the image's", []string{"busybox"},
			func(o *runOptions) bool { return len(o.overrides.Args) == 0 && o.overrides.Entrypoint == nil }, ""},
		{"--entrypoint", []string{"--entrypoint", "/bin/echo", "busybox", "hi"},
			func(o *runOptions) bool {
				return *o.overrides.Entrypoint == "/bin/echo" && reflect.DeepEqual(o.overrides.Args, []string{"hi"})
			}, ""},
		{`--entrypoint ""`, []string{"--entrypoint", "", "busybox"},
			func(o *runOptions) bool { return o.overrides.Entrypoint != nil && *o.overrides.Entrypoint == "" }, ""},
		{"-u and --stop-signal", []string{"-u", "1000:1000", "--stop-signal", "quit", "busybox"},
			func(o *runOptions) bool { return o.overrides.User == "1000:1000" && o.overrides.StopSignal == "quit" }, ""},
		{"--user name", []string{"--user", "nobody", "busybox"},
			func(o *runOptions) bool { return o.overrides.User == "nobody" }, ""},
		{"--pull default", []string{"busybox"}, func(o *runOptions) bool { return o.pull == pullMissing }, ""},
		{"--pull never", []string{"--pull", "never", "busybox"}, func(o *runOptions) bool { return o.pull == pullNever }, ""},
		{"bad --pull", []string{"--pull", "sometimes", "busybox"}, nil, "invalid --pull"},
		{"bad --user", []string{"-u", "a:", "busybox"}, nil, "invalid user"},
		{"--user out of range", []string{"-u", "4294967296", "busybox"}, nil, "out of range"},
		{"bad --stop-signal", []string{"--stop-signal", "SIGNOPE", "busybox"}, nil, "invalid signal"},
		{"blog -it", []string{"-it", "busybox"},
			func(o *runOptions) bool { return o.config.OpenStdin && o.config.Tty }, ""},
		{"docker -i -t", []string{"-i", "-t", "busybox"},
			func(o *runOptions) bool { return o.config.OpenStdin && o.config.Tty }, ""},
		{"-ti", []string{"-ti", "busybox"},
			func(o *runOptions) bool { return o.config.OpenStdin && o.config.Tty }, ""},
		{"-dit", []string{"-dit", "busybox"},
			func(o *runOptions) bool { return o.detach && o.config.OpenStdin && o.config.Tty }, ""},
		{"-i alone", []string{"-i", "busybox"},
			func(o *runOptions) bool { return o.config.OpenStdin && !o.config.Tty }, ""},
		{"blog -name", []string{"-name", "web", "busybox"},
			func(o *runOptions) bool { return o.name == "web" }, ""},
		{"docker --name=", []string{"--name=web", "busybox"},
			func(o *runOptions) bool { return o.name == "web" }, ""},
		{"mixed -v and --volume keep order", []string{"-v", "/a:/a", "--volume", "/b:/b:ro", "-v", "/c:/c", "busybox"},
			func(o *runOptions) bool {
				return reflect.DeepEqual(o.config.Volumes, []spec.Mount{
					{Type: "bind", Source: "/a", Destination: "/a"}, {Type: "bind", Source: "/b", Destination: "/b", ReadOnly: true}, {Type: "bind", Source: "/c", Destination: "/c"}})
			}, ""},
		{"mixed -e and --env keep order", []string{"-e", "A=1", "--env", "A=2", "busybox"},
			func(o *runOptions) bool { return reflect.DeepEqual(o.overrides.Env, []string{"A=1", "A=2"}) }, ""},
		{"workdir and hostname", []string{"-w", "/srv", "--hostname", "h1", "busybox"},
			func(o *runOptions) bool { return o.overrides.WorkingDir == "/srv" && o.config.Hostname == "h1" }, ""},
		{"missing image", []string{}, nil, "requires an IMAGE"},
		{"flags only", []string{"-d", "--rm"}, nil, "requires an IMAGE"},
		{"empty image", []string{""}, nil, `invalid image ""`},
		{"unknown flag", []string{"--nope", "busybox"}, nil, "unknown flag"},
		{"bad volume", []string{"-v", "x", "busybox"}, nil, "invalid volume"},
		{"bad env", []string{"-e", "=1", "busybox"}, nil, "invalid env"},
		{"bad name", []string{"--name", "-x", "busybox"}, nil, "invalid container name"},
		{"relative workdir", []string{"-w", "srv", "busybox"}, nil, "absolute"},
		{"bad hostname", []string{"--hostname", "a b", "busybox"}, nil, "hostname"},
		{"flag missing its value", []string{"-v"}, nil, "flag needs an argument"},
		{"-v after IMAGE is the command's", []string{"busybox", "-v"},
			func(o *runOptions) bool { return reflect.DeepEqual(o.overrides.Args, []string{"-v"}) }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseRun(tc.args)
			if tc.check == nil {
				if tc.wantErr == "" {
					if err != nil {
						t.Fatalf("unexpected error %v", err)
					}
					return
				}
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if !tc.check(o) {
				t.Fatalf("parsed %+v", o)
			}
		})
	}
}

// The cgroups parsers say what is wrong with a value; run's error adds
// which flag and value, in the words users have always seen.
func TestLimitErrorsNameFlagAndValue(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-m", "1k"}, `invalid --memory "1k": at least 4m is needed to start a container`},
		{[]string{"-mem", "lots"}, `invalid --memory "lots": want a size such as 32m or 1g`},
		{[]string{"--cpus", "0"}, `invalid --cpus "0": want a positive number of CPUs such as 0.5`},
		{[]string{"-cpu", "x"}, `invalid -cpu "x": want a positive percentage of one CPU such as 20`},
		{[]string{"--cpuset-cpus", "a"}, `invalid --cpuset-cpus "a": want a CPU list such as 0-1,3`},
		{[]string{"--pids-limit", "0"}, `invalid --pids-limit "0": want a positive number of processes, or -1 for no limit`},
	} {
		_, err := parseRun(append(tc.args, "busybox"))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

func FuzzParseRunFlags(f *testing.F) {
	f.Add("-it\x00-v\x00/a:/b\x00busybox\x00sh")
	f.Add("--name\x00web\x00-e\x00A=1\x00busybox")
	f.Add("-dit\x00--rm\x00-w\x00/x\x00img\x00-c")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		o, err := parseRun(args)
		if err != nil || o == nil {
			return
		}
		// Anything accepted names an image, a valid user and stop signal,
		// and its volumes and workdir are absolute.
		if o.image == "" {
			t.Fatalf("%q: accepted without an image: %+v", args, o)
		}
		if _, err := security.ParseUserSpec(o.overrides.User); err != nil {
			t.Fatalf("%q: accepted user %q: %v", args, o.overrides.User, err)
		}
		if s := o.overrides.StopSignal; s != "" {
			if _, err := container.ParseSignal(s); err != nil {
				t.Fatalf("%q: accepted stop signal %q: %v", args, s, err)
			}
		}
		// A volume's source is found (or made) later, at create: a
		// named one has a name, an anonymous one neither; a tmpfs has none.
		for _, v := range o.config.Volumes {
			sourceOK := strings.HasPrefix(v.Source, "/")
			switch v.Type {
			case "volume":
				sourceOK = v.Source == "" && (v.Name != "" || v.Anonymous)
			case "tmpfs":
				sourceOK = true
			}
			if !sourceOK || !strings.HasPrefix(v.Destination, "/") {
				t.Fatalf("%q: relative volume %+v", args, v)
			}
		}
		if wd := o.overrides.WorkingDir; wd != "" && !strings.HasPrefix(wd, "/") {
			t.Fatalf("%q: relative workdir %q", args, wd)
		}
	})
}

func TestAsTyped(t *testing.T) {
	for _, tc := range []struct {
		flag string
		args []string
		want string
	}{
		{"-bogus", []string{"mydocker", "run", "--bogus", "busybox"}, "--bogus"},
		{"-bogus", []string{"mydocker", "run", "--bogus=1", "busybox"}, "--bogus"},
		{"-bogus", []string{"mydocker", "run", "-bogus", "busybox"}, "-bogus"},
		{"-z", []string{"mydocker", "ps", "-z"}, "-z"},
		{"-x", []string{"mydocker", "run", "busybox", "--", "--x"}, "-x"},
	} {
		if got := asTyped(tc.flag, tc.args); got != tc.want {
			t.Errorf("asTyped(%q, %q) = %q, want %q", tc.flag, tc.args, got, tc.want)
		}
	}
}
