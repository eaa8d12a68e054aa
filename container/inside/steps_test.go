package inside

import (
	"testing"

	"mydocker/trace"
)

// The inside names its steps' topics without importing package trace:
// each must still be a topic of trace's chapter table.
func TestStepTopicsHaveChapters(t *testing.T) {
	for _, topic := range []string{topicNamespaces, topicCgroups, topicPipe, topicRootfs, topicVolumes} {
		if trace.ChapterOf(trace.Topic(topic)).Number == 0 {
			t.Errorf("init's topic %q has no chapter in package trace", topic)
		}
	}
}
