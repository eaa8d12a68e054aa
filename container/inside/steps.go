package inside

import (
	"os"
	"time"

	log "github.com/sirupsen/logrus"

	"mydocker/container/spec"
)

// init's steps, as --trace shows them and --debug logs them: one call per
// step serves both. The host owns the chapter table (package trace, which
// the inside does not import); init names a step's topic, and the host's
// test (steps_test.go) checks each of these is one of the table's.
const (
	topicNamespaces = "namespaces"
	topicCgroups    = "cgroups"
	topicPipe       = "pipe"
	topicRootfs     = "rootfs"
	topicVolumes    = "volumes"
)

// tracer sends each step to the host when the config asks for a trace.
type tracer struct {
	sync *os.File // nil: no trace, --debug at most
}

// steps is init's tracer: init is one process running one goroutine, and
// each step is reported from deep in the rootfs code.
var steps tracer

// done reports one step, begun at start, that ended with err (nil: it
// worked). A step that cannot be reported does not fail the container:
// the trace is for reading, not for running.
func (t tracer) done(topic, cmd string, start time.Time, err error) {
	if err == nil {
		log.Debugf("init: %s (%s)", cmd, time.Since(start))
	}
	t.report(topic, cmd, start, err)
}

// report sends a step to the host without logging it: for a step whose
// --debug line says it in words of its own.
func (t tracer) report(topic, cmd string, start time.Time, err error) {
	d := time.Since(start)
	if t.sync == nil {
		return
	}
	s := &spec.Step{Topic: topic, Cmd: cmd, Nanos: int64(d)}
	if err != nil {
		s.Err = err.Error()
	}
	if serr := spec.Send(t.sync, spec.Msg{Type: spec.MsgTrace, Step: s}, nil); serr != nil {
		log.Debugf("init: trace: %v", serr)
	}
}
