package container

import (
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"

	"mydocker/constant"
	"mydocker/network"
)

func strp(s string) *string { return &s }

func TestCommand(t *testing.T) {
	both := v1.Config{Entrypoint: []string{"/ep", "-x"}, Cmd: []string{"default", "args"}}
	cmdOnly := v1.Config{Cmd: []string{"sh"}, Env: []string{"A=1"}}
	epOnly := v1.Config{Entrypoint: []string{"/ep"}}
	configured := v1.Config{Env: []string{"PATH=/bin", "A=1"}} // a config, but no command
	bare := v1.Config{Env: []string{"PATH=/usr/bin:/bin"}}     // what the store gives a rootfs tar
	tests := []struct {
		name       string
		img        v1.Config
		entrypoint *string
		args       []string
		wantEp     []string
		wantCmd    []string
		wantErr    string
	}{
		{"image entrypoint and cmd", both, nil, nil, []string{"/ep", "-x"}, []string{"default", "args"}, ""},
		{"args replace cmd", both, nil, []string{"mine"}, []string{"/ep", "-x"}, []string{"mine"}, ""},
		{"--entrypoint drops the image's cmd", both, strp("/other"), nil, []string{"/other"}, nil, ""},
		{"--entrypoint with args", both, strp("/other"), []string{"a", "b"}, []string{"/other"}, []string{"a", "b"}, ""},
		{`--entrypoint "" with args`, both, strp(""), []string{"echo", "hi"}, nil, []string{"echo", "hi"}, ""},
		{`--entrypoint "" alone`, both, strp(""), nil, nil, nil, "no command specified"},
		{`--entrypoint "" on an entrypoint-only image`, epOnly, strp(""), nil, nil, nil, "no command specified"},
		{"cmd only", cmdOnly, nil, nil, nil, []string{"sh"}, ""},
		{"cmd only, args", cmdOnly, nil, []string{"true"}, nil, []string{"true"}, ""},
		{"entrypoint only", epOnly, nil, nil, []string{"/ep"}, nil, ""},
		{"entrypoint only, args", epOnly, nil, []string{"a"}, []string{"/ep"}, []string{"a"}, ""},
		{"a config without a command", configured, nil, nil, nil, nil, "no command specified"},
		{"no config at all: the blog's sh", v1.Config{}, nil, nil, nil, []string{"sh"}, ""},
		{"no config, args", v1.Config{}, nil, []string{"ls"}, nil, []string{"ls"}, ""},
		{"a rootfs tar's config: sh", bare, nil, nil, nil, []string{"sh"}, ""},
		{`a rootfs tar, --entrypoint ""`, bare, strp(""), nil, nil, nil, "no command specified"},
		{"labels make it a built image", v1.Config{Labels: map[string]string{"a": "b"}}, nil, nil, nil, nil, "no command specified"},
		{"empty program", v1.Config{}, nil, []string{""}, nil, nil, "empty program name"},
		{"empty arg to an entrypoint is fine", epOnly, nil, []string{""}, []string{"/ep"}, []string{""}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ep, cmd, err := Command(tc.img, tc.entrypoint, tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(ep, tc.wantEp) || !reflect.DeepEqual(cmd, tc.wantCmd) {
				t.Fatalf("= %q, %q, %v; want %q, %q", ep, cmd, err, tc.wantEp, tc.wantCmd)
			}
		})
	}
}

// The result never aliases the image's slices: the record must not change
// if the image's config is reused.
func TestCommandCopies(t *testing.T) {
	img := v1.Config{Entrypoint: []string{"/ep"}, Cmd: []string{"x"}}
	ep, cmd, err := Command(img, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ep[0], cmd[0] = "changed", "changed"
	if img.Entrypoint[0] != "/ep" || img.Cmd[0] != "x" {
		t.Fatalf("image config changed: %+v", img)
	}
}

func TestApplyImage(t *testing.T) {
	img := v1.Config{
		Cmd:          []string{"serve"},
		Env:          []string{"PATH=/img/bin", "A=img", "B=img"},
		WorkingDir:   "/srv/app/",
		User:         "www:www",
		StopSignal:   "SIGQUIT",
		ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {}},
	}
	tests := []struct {
		name  string
		img   v1.Config
		o     Overrides
		ports []network.PortMapping // -p, parsed before the image is known
		check func(c *Config) bool
		err   string
	}{
		{"image defaults", img, Overrides{}, nil, func(c *Config) bool {
			return reflect.DeepEqual(c.Cmd, []string{"serve"}) &&
				reflect.DeepEqual(c.Env, []string{"PATH=/img/bin", "A=img", "B=img"}) &&
				c.WorkingDir == "/srv/app" && c.User == "www:www" && c.StopSignal == "SIGQUIT" &&
				reflect.DeepEqual(c.ExposedPorts, map[string]struct{}{"80/tcp": {}, "53/udp": {}})
		}, ""},
		{"command line wins", img, Overrides{Env: []string{"B=cli", "C=cli"}, WorkingDir: "/tmp", User: "1000", StopSignal: "USR1"}, nil,
			func(c *Config) bool {
				return reflect.DeepEqual(c.Env, []string{"PATH=/img/bin", "A=img", "B=cli", "C=cli"}) &&
					c.WorkingDir == "/tmp" && c.User == "1000" && c.StopSignal == "USR1"
			}, ""},
		{"no image env: default PATH", v1.Config{Cmd: []string{"x"}}, Overrides{}, nil,
			func(c *Config) bool {
				return reflect.DeepEqual(c.Env, []string{"PATH=" + constant.DefaultPath}) && c.User == "" && c.WorkingDir == "" && c.ExposedPorts == nil
			}, ""},
		{"published ports are exposed too", img, Overrides{},
			[]network.PortMapping{{HostPort: 9000, ContainerPort: 8080, Protocol: "tcp"}, {HostPort: 80, ContainerPort: 80, Protocol: "tcp"}},
			func(c *Config) bool {
				return reflect.DeepEqual(c.ExposedPorts, map[string]struct{}{"80/tcp": {}, "53/udp": {}, "8080/tcp": {}})
			}, ""},
		{"relative image workdir", v1.Config{Cmd: []string{"x"}, WorkingDir: "app"}, Overrides{}, nil, nil, "absolute"},
		{"bad image user", v1.Config{Cmd: []string{"x"}, User: "a:b:c"}, Overrides{}, nil, nil, "invalid user"},
		{"bad image stop signal", v1.Config{Cmd: []string{"x"}, StopSignal: "SIGFOO"}, Overrides{}, nil, nil, "invalid signal"},
		{"no command", v1.Config{Env: []string{"A=1"}}, Overrides{}, nil, nil, "no command specified"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{Ports: tc.ports}
			err := c.ApplyImage(tc.img, tc.o)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !tc.check(&c) {
				t.Fatalf("%+v, %v", c, err)
			}
		})
	}
}

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in   string
		want unix.Signal
		err  bool
	}{
		{"SIGQUIT", unix.SIGQUIT, false},
		{"quit", unix.SIGQUIT, false},
		{"Sigusr1", unix.SIGUSR1, false},
		{"TERM", unix.SIGTERM, false},
		{"3", unix.SIGQUIT, false},
		{"64", unix.Signal(64), false},
		{" 9 ", unix.SIGKILL, false},
		{"0", 0, true},
		{"65", 0, true},
		{"-1", 0, true},
		{"SIGFOO", 0, true},
		{"", 0, true},
		{"SIG", 0, true},
	}
	for _, tc := range tests {
		got, err := ParseSignal(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseSignal(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	if got := (&Config{}).StopSignalNum(); got != unix.SIGTERM {
		t.Errorf("default stop signal %v", got)
	}
	if got := (&Config{StopSignal: "SIGQUIT"}).StopSignalNum(); got != unix.SIGQUIT {
		t.Errorf("stop signal %v", got)
	}
}

func FuzzParseSignal(f *testing.F) {
	for _, s := range []string{"SIGQUIT", "3", "usr1", "", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := ParseSignal(s)
		if err == nil && (sig < 1 || sig > 64) {
			t.Fatalf("ParseSignal(%q) = %d", s, sig)
		}
	})
}
