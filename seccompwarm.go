package main

import (
	log "github.com/sirupsen/logrus"

	"mydocker/container"
)

// warmSeccompCache has the default seccomp filter assembled for root's
// cache while a command brings an image in (pull, load, import, a run
// that pulls): on a miss the filter comes from starting mydocker-kube,
// which the first run of that image would otherwise wait for. The
// returned function waits for it and, if the command succeeded (*err is
// nil), keeps it: a failed command leaves nothing behind. A failure of
// its own only leaves the run to try again, and is reported as a warning.
func warmSeccompCache(root string, err *error) (done func()) {
	type result struct {
		keep func() error
		err  error
	}
	c := make(chan result, 1)
	go func() {
		keep, err := container.PrepareSeccompCache(root)
		c <- result{keep, err}
	}()
	return func() {
		r := <-c
		if r.err == nil && *err == nil {
			r.err = r.keep()
		}
		if r.err != nil {
			log.Warnf("prepare the seccomp filter for the first run: %v", r.err)
		}
	}
}
