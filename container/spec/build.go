package spec

import (
	"fmt"

	"mydocker/constant"
)

// BuildID names one build of mydocker and its companion mydocker-inside:
// `make build` stamps the same random ID into both (-ldflags -X), so the
// program that runs inside a container can tell it was given a config by
// the very build it was made with. The two are separate files, and a
// user who replaces one of them (a copy, a half-done install) would
// otherwise get a protocol mismatch somewhere in the middle of a start.
// Plain `go build` leaves it empty in both, which is one build too.
var BuildID string

// CheckBuild refuses a config that came from another build.
func CheckBuild(host string) error {
	if host == BuildID {
		return nil
	}
	return &ExitError{Code: constant.ExitMydocker, Err: fmt.Errorf("mydocker-inside is from another build than mydocker (build %q, mydocker's %q): install both from one build (make build, make install)", BuildID, host)}
}
