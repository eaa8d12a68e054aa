package container

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMonitorArgsRoundTrip(t *testing.T) {
	for _, a := range []MonitorArgs{
		{Build: "abc-123", CLI: "/usr/local/bin/mydocker", Root: "/var/lib/mydocker", LogLevel: "warn", ID: "f00"},
		{Build: "", Root: "/r", LogLevel: "debug", Debug: true, Trace: true, ID: "f00"},
		{Build: "b", Root: "/r", LogLevel: "info", Resume: &Resume{Delay: 1500 * time.Millisecond, From: 42, FromStart: 99}, ID: "f00"},
		{Build: "b", Root: "/r", LogLevel: "warn", Adopt: &Adopt{Pid: 7, Out: 5, Err: 6, Inside: -1, Backoff: 0}, ID: "f00"},
		{Build: "b", Root: "/r", LogLevel: "warn", Adopt: &Adopt{Pid: 7, Out: 5, Err: -1, Inside: 9, Ports: []int{10, 11}, Backoff: 400 * time.Millisecond}, ID: "f00"},
	} {
		got, err := ParseMonitorArgs(a.Args())
		if err != nil {
			t.Fatalf("ParseMonitorArgs(%q): %v", a.Args(), err)
		}
		if !reflect.DeepEqual(got, a) {
			t.Fatalf("ParseMonitorArgs(%q) = %+v, want %+v", a.Args(), got, a)
		}
	}
}

func TestParseMonitorArgsRefuses(t *testing.T) {
	for _, tc := range []struct {
		args, want string
	}{
		{"", "usage"},
		{"--root /r --log-level warn monitor", "usage"},                         // no ID
		{"--root /r --log-level warn f00", "unexpected argument"},               // no command word
		{"--root /r --log-level warn monitor a b", "unexpected argument"},       // two IDs
		{"--root /r monitor --debug f00", "unexpected argument"},                // a global flag after the command
		{"--root /r --bogus monitor f00", "unexpected argument"},                // unknown
		{"--root /r monitor --resume-after 1s f00", "invalid --resume-from"},    // half a resume
		{"--root /r monitor --resume-after x --resume-from 1:2 f00", "invalid"}, // bad delay
		{"--root", "needs a value"},
		{"--log-level warn monitor f00", "usage"}, // no root
		{"--root /r monitor --adopt pid=1,out=5,err=6,inside=-1,ports=,backoff=0s --resume-after 1s --resume-from 1:2 f00", "exclude"},
		{"--root /r monitor --adopt pid=0,out=5,err=6,inside=-1,ports=,backoff=0s f00", "invalid --adopt"},
		{"--root /r monitor --adopt pid=1,out=5,err=6,inside=-1,backoff=0s f00", "invalid --adopt"},
		{"--root /r monitor --adopt out=5,pid=1,err=6,inside=-1,ports=,backoff=0s f00", "invalid --adopt"},
		{"--root /r monitor --adopt pid=1,out=5,err=6,inside=-1,ports=7+,backoff=0s f00", "invalid --adopt"},
		{"--root /r monitor --adopt pid=1,out=05,err=6,inside=-1,ports=,backoff=0s f00", "invalid --adopt"},
		{"--root /r monitor --adopt pid=1,out=5,err=6,inside=-1,ports=,backoff=-1s f00", "invalid --adopt"},
		{"--root /r monitor --adopt pid=1,out=5,err=6,inside=-1,ports=,backoff=0s --adopt pid=1,out=5,err=6,inside=-1,ports=,backoff=0s f00", "unexpected"},
	} {
		_, err := ParseMonitorArgs(strings.Fields(tc.args))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseMonitorArgs(%q) = %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}

// FuzzParseMonitorArgs: whatever it accepts, it writes back the same.
func FuzzParseMonitorArgs(f *testing.F) {
	f.Add("--build\x00b\x00--root\x00/r\x00--log-level\x00warn\x00monitor\x00f00")
	f.Add("--root\x00/r\x00monitor\x00--resume-after\x001s\x00--resume-from\x001:2\x00f00")
	f.Add("--root\x00/r\x00monitor\x00--adopt\x00pid=3,out=5,err=-1,inside=9,ports=10+11,backoff=1m0s\x00f00")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseMonitorArgs(strings.Split(s, "\x00"))
		if err != nil {
			return
		}
		b, err := ParseMonitorArgs(a.Args())
		if err != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("%q parsed to %+v, whose Args %q parse to %+v, %v", s, a, a.Args(), b, err)
		}
	})
}
