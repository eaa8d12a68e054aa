package container

import (
	"reflect"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestHealthRecord(t *testing.T) {
	ok, bad := HealthResult{ExitCode: 0}, HealthResult{ExitCode: 1}
	tests := []struct {
		name    string
		results []HealthResult
		inStart bool
		want    string
		streak  int
	}{
		{"success is healthy at once", []HealthResult{ok}, false, HealthHealthy, 0},
		{"failures below retries keep starting", []HealthResult{bad, bad}, false, HealthStarting, 2},
		{"retries failures make it unhealthy", []HealthResult{bad, bad, bad}, false, HealthUnhealthy, 3},
		{"a success resets the streak", []HealthResult{bad, bad, ok, bad}, false, HealthHealthy, 1},
		{"failures in the start period do not count", []HealthResult{bad, bad, bad, bad}, true, HealthStarting, 0},
		{"timeouts are failures", []HealthResult{{ExitCode: -1}, {ExitCode: -1}, {ExitCode: -1}}, false, HealthUnhealthy, 3},
	}
	for _, tc := range tests {
		h := &Health{Status: HealthStarting}
		for _, r := range tc.results {
			h.record(r, 3, tc.inStart)
		}
		if h.Status != tc.want || h.FailingStreak != tc.streak {
			t.Errorf("%s: %s streak %d, want %s %d", tc.name, h.Status, h.FailingStreak, tc.want, tc.streak)
		}
	}
	// Once healthy, the start period no longer excuses failures.
	h := &Health{Status: HealthStarting}
	h.record(ok, 1, true)
	h.record(bad, 1, true)
	if h.Status != HealthUnhealthy {
		t.Errorf("healthy, then a failure within the start period: %s", h.Status)
	}
	// The log keeps the last five.
	h = &Health{Status: HealthStarting}
	for i := 0; i < 8; i++ {
		h.record(HealthResult{ExitCode: i}, 100, false)
	}
	if len(h.Log) != 5 || h.Log[0].ExitCode != 3 || h.Log[4].ExitCode != 7 {
		t.Errorf("log %+v", h.Log)
	}
}

func TestMergeHealthcheck(t *testing.T) {
	img := &v1.HealthConfig{Test: []string{"CMD", "check"}, Interval: time.Minute, Retries: 5}
	tests := []struct {
		name  string
		img   *v1.HealthConfig
		flags HealthFlags
		want  *v1.HealthConfig
		args  []string
	}{
		{"none", nil, HealthFlags{}, nil, nil},
		{"the image's", img, HealthFlags{}, img, []string{"check"}},
		{"flags replace fields", img, HealthFlags{Cmd: "curl x", Retries: 2},
			&v1.HealthConfig{Test: []string{"CMD-SHELL", "curl x"}, Interval: time.Minute, Retries: 2}, []string{"/bin/sh", "-c", "curl x"}},
		{"flags alone", nil, HealthFlags{Cmd: "true", Interval: time.Second},
			&v1.HealthConfig{Test: []string{"CMD-SHELL", "true"}, Interval: time.Second}, []string{"/bin/sh", "-c", "true"}},
		{"durations without a test: none", nil, HealthFlags{Interval: time.Second}, nil, nil},
		{"--no-healthcheck", img, HealthFlags{Disable: true}, &v1.HealthConfig{Test: []string{"NONE"}}, nil},
		{"the image's NONE", &v1.HealthConfig{Test: []string{"NONE"}}, HealthFlags{}, &v1.HealthConfig{Test: []string{"NONE"}}, nil},
	}
	for _, tc := range tests {
		var c Config
		c.MergeHealthcheck(tc.img, tc.flags)
		if !reflect.DeepEqual(c.Healthcheck, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, c.Healthcheck, tc.want)
		}
		if got := c.healthArgs(); !reflect.DeepEqual(got, tc.args) {
			t.Errorf("%s: args %q, want %q", tc.name, got, tc.args)
		}
		if (c.initialHealth() != nil) != (tc.args != nil) {
			t.Errorf("%s: initial health %+v", tc.name, c.initialHealth())
		}
	}
}

func TestStatusSuffix(t *testing.T) {
	for _, tc := range []struct {
		st   State
		want string
	}{
		{State{Status: StatusRunning}, ""},
		{State{Status: StatusRunning, Health: &Health{Status: HealthStarting}}, " (health: starting)"},
		{State{Status: StatusRunning, Health: &Health{Status: HealthHealthy}}, " (healthy)"},
		{State{Status: StatusRunning, Health: &Health{Status: HealthUnhealthy}}, " (unhealthy)"},
		{State{Status: StatusExited, Health: &Health{Status: HealthHealthy}}, ""},
	} {
		if got := tc.st.StatusSuffix(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.st, got, tc.want)
		}
	}
}

func TestParseHealthFlags(t *testing.T) {
	for _, s := range []string{"30s", "1m30s", "1ms", "0"} {
		if _, err := ParseHealthDuration("health-interval", s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"30", "-1s", "1us", "soon", ""} {
		if _, err := ParseHealthDuration("health-interval", s); err == nil || !strings.Contains(err.Error(), "--health-interval") {
			t.Errorf("%q accepted: %v", s, err)
		}
	}
	if n, err := ParseHealthRetries("4"); n != 4 || err != nil {
		t.Errorf("retries 4: %d %v", n, err)
	}
	for _, s := range []string{"-1", "x", ""} {
		if _, err := ParseHealthRetries(s); err == nil {
			t.Errorf("retries %q accepted", s)
		}
	}
}
