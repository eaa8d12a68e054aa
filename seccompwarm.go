package main

import (
	log "github.com/sirupsen/logrus"

	"mydocker/container"
)

// warmSeccompCache has the default seccomp filter assembled into root's
// cache while a command brings an image in (pull, load, import, a run
// that pulls): on a miss the filter comes from starting mydocker-kube,
// which the first run of that image would otherwise wait for. The
// returned function waits for it; a failure only leaves the run to try
// again, and is reported as a warning.
func warmSeccompCache(root string) (wait func()) {
	done := make(chan error, 1)
	go func() { done <- container.WarmSeccompCache(root) }()
	return func() {
		if err := <-done; err != nil {
			log.Warnf("prepare the seccomp filter for the first run: %v", err)
		}
	}
}
