package main

import (
	"slices"
	"testing"
)

type fakeNames struct{}

func (fakeNames) containers() []string { return []string{"web"} }
func (fakeNames) images() []string     { return []string{"busybox:latest"} }
func (fakeNames) networks() []string   { return []string{"mynet"} }
func (fakeNames) volumes() []string    { return []string{"data"} }
func (fakeNames) pods() []string       { return []string{"webpod"} }

func TestComplete(t *testing.T) {
	c := completer{app: newApp(), names: fakeNames{}}
	for _, tc := range []struct {
		words []string
		want  string // offered
		not   string // not offered
	}{
		{[]string{""}, "run", completeName},
		{[]string{"--root", "/x", ""}, "ps", ""},
		{[]string{"--debug", ""}, "ps", ""},
		{[]string{"-"}, "--root", "--all"},
		{[]string{"stop", ""}, "web", "busybox:latest"},
		{[]string{"stop", "-t", "3", ""}, "web", ""},
		{[]string{"run", ""}, "busybox:latest", "web"},
		{[]string{"run", "-d", "--name", "x", ""}, "busybox:latest", "x"},
		{[]string{"run", "busybox", ""}, "", "busybox:latest"},
		{[]string{"run", "--network", ""}, "mynet", "busybox:latest"},
		{[]string{"run", "-v", ""}, "data", ""},
		{[]string{"run", "-"}, "--network", "--all"},
		{[]string{"image", ""}, "inspect", "web"},
		{[]string{"image", "rm", ""}, "busybox:latest", ""},
		{[]string{"network", "rm", ""}, "mynet", ""},
		{[]string{"network", "remove", ""}, "mynet", ""},
		{[]string{"volume", "rm", ""}, "data", ""},
		{[]string{"ps", ""}, "", "web"},
		{[]string{"exec", "web", ""}, "web", ""}, // Docker's too: names are harmless there
		{[]string{"pod", ""}, "create", "webpod"},
		{[]string{"pod", "rm", ""}, "webpod", "web"},
		{[]string{"pod", "ls", ""}, "", "webpod"},
		{[]string{"run", "--pod", ""}, "webpod", "busybox:latest"},
	} {
		got := c.complete(tc.words)
		if tc.want != "" && !slices.Contains(got, tc.want) {
			t.Errorf("complete(%q) = %q, missing %q", tc.words, got, tc.want)
		}
		if tc.not != "" && slices.Contains(got, tc.not) {
			t.Errorf("complete(%q) = %q, has %q", tc.words, got, tc.not)
		}
	}
}

func FuzzComplete(f *testing.F) {
	f.Add("run", "--network", "")
	f.Add("--root", "", "-")
	f.Add("network", "rm", "x")
	c := completer{app: newApp(), names: fakeNames{}}
	f.Fuzz(func(t *testing.T, a, b, cur string) {
		c.complete([]string{a, b, cur})
	})
}
