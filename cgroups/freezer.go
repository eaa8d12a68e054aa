package cgroups

import (
	"os"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// The freezer: pause and unpause. v1 has a freezer hierarchy whose
// freezer.state goes THAWED -> FREEZING -> FROZEN; v2 has cgroup.freeze in
// every cgroup and reports "frozen 1" in cgroup.events once every process
// has stopped. Both freeze asynchronously: a process in the middle of a
// system call stops when it leaves it, so Freeze waits for the kernel to
// say the whole cgroup is frozen before pause reports success, as runc
// does.
var freezerController = controller{name: "freezer"}

// freezeTimeout bounds the wait for a cgroup to freeze: a task stuck in
// an uninterruptible sleep (NFS, a dying disk) keeps v1 in FREEZING.
const freezeTimeout = 10 * time.Second

func freezeV1(dir string) error {
	deadline := time.Now().Add(freezeTimeout)
	for {
		// Writing FROZEN again is how v1 retries the tasks that were
		// busy the last time.
		if err := writeFile(dir, "freezer.state", "FROZEN"); err != nil {
			return err
		}
		state, err := readFile(dir, "freezer.state")
		if err != nil {
			return err
		}
		if state == "FROZEN" {
			return nil
		}
		if time.Now().After(deadline) {
			// Leave nothing half frozen behind.
			return joinThaw(errors.Errorf("%s is still %s after %v", dir, state, freezeTimeout), thawV1(dir))
		}
		time.Sleep(time.Millisecond)
	}
}

// A cgroup already removed has nothing left to thaw: rm -f thaws after
// its SIGKILL, and by then the container's monitor may have seen the
// exit and removed the cgroup.
func thawV1(dir string) error { return ignoreGone(dir, writeFile(dir, "freezer.state", "THAWED")) }

func freezeV2(dir string) error {
	if err := writeFile(dir, "cgroup.freeze", "1"); err != nil {
		return err
	}
	deadline := time.Now().Add(freezeTimeout)
	for {
		frozen, err := keyedValue(dir, "cgroup.events", "frozen")
		if err != nil {
			return err
		}
		if frozen == 1 {
			return nil
		}
		if time.Now().After(deadline) {
			return joinThaw(errors.Errorf("%s is not frozen after %v", dir, freezeTimeout), thawV2(dir))
		}
		time.Sleep(time.Millisecond)
	}
}

func thawV2(dir string) error { return ignoreGone(dir, writeFile(dir, "cgroup.freeze", "0")) }

// ignoreGone drops err if cgroup dir no longer exists.
func ignoreGone(dir string, err error) error {
	if err != nil {
		if _, serr := os.Stat(dir); os.IsNotExist(serr) {
			return nil
		}
	}
	return err
}

func joinThaw(cause, thawErr error) error {
	if thawErr != nil {
		return errors.Errorf("%v (thawing again: %v)", cause, thawErr)
	}
	return cause
}

// frozenV1 reads whether v1 dir is frozen (or freezing).
func frozenV1(dir string) bool {
	s, err := readFile(dir, "freezer.state")
	return err == nil && strings.TrimSpace(s) != "THAWED"
}

// frozenV2 reads whether v2 dir was asked to freeze.
func frozenV2(dir string) bool {
	s, err := readFile(dir, "cgroup.freeze")
	return err == nil && strings.TrimSpace(s) == "1"
}
