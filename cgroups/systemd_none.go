//go:build nosystemd

package cgroups

import "errors"

// errNoSystemd is every systemd call of a program built without the
// driver (tag nosystemd: see systemd_dbus.go).
var errNoSystemd = errors.New("this program is built without the systemd cgroup driver")

func newSystemdManager(root, id string) (Manager, error) { return nil, errNoSystemd }

// EnterMonitorScope is not for this program: only a monitor calls it.
func EnterMonitorScope(id string) error { return errNoSystemd }
