package container

import (
	"mydocker/trace"
	"mydocker/utils"
)

// concurrently runs a and b at once and returns a's error, else b's: the
// steps of a start or a teardown that do not depend on each other go on
// the machine's two CPUs, most of their time spent in the kernel (an
// overlay mount and a container's eight cgroups, say). With the trace on
// they run one after another, a first, so the trace shows each step
// whole and in the series' order.
func concurrently(a, b func() error) error {
	if trace.On() {
		if err := a(); err != nil {
			return err
		}
		return b()
	}
	errA := make(chan error, 1)
	go func() { errA <- a() }()
	errB := b()
	if err := <-errA; err != nil {
		if errB == nil {
			return err
		}
		return utils.JoinCleanup(err, "the step beside it", errB)
	}
	return errB
}
