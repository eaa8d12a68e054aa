package container

import (
	"os"
	"path/filepath"

	log "github.com/sirupsen/logrus"

	"mydocker/trace"
)

// The teardown after a stop is done by the process watching the container
// (its monitor, or a foreground run), not by `stop`. So that `stop
// --trace` still shows it, stop leaves a request beside the record; the
// watcher, finding it as the container exits, traces its teardown into
// it, and stop prints it once the watcher is done.
const teardownTraceName = "teardown.trace"

// showTeardown asks the watcher of container id to trace its teardown,
// and returns what prints that trace once the stop is complete.
func (s *Store) showTeardown(id string) func() {
	p := filepath.Join(s.Dir(id), teardownTraceName)
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		log.Debugf("ask for the teardown trace: %v", err)
		return func() {}
	}
	return func() {
		data, err := os.ReadFile(p)
		if err != nil {
			log.Debugf("read the teardown trace: %v", err)
			return
		}
		os.Remove(p) //nolint:errcheck // gone with the record at rm anyway
		trace.Write(data)
	}
}

// traceTeardown traces this process's teardown of container id into the
// file stop asked for, if it did; the returned function ends that.
func (s *Store) traceTeardown(id string) func() {
	p := filepath.Join(s.Dir(id), teardownTraceName)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return func() {} // no stop --trace waits for it
	}
	restore := trace.To(f)
	return func() {
		restore()
		f.Close()
	}
}
