package trace

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEveryTopicHasOneChapter(t *testing.T) {
	seen := map[int]Topic{}
	for _, topic := range Topics() {
		ch := ChapterOf(topic)
		if ch.Number == 0 || ch.Title == "" {
			t.Errorf("topic %s has no chapter", topic)
		}
		if other, ok := seen[ch.Number]; ok {
			t.Errorf("chapter %d explains both %s and %s", ch.Number, other, topic)
		}
		seen[ch.Number] = topic
	}
	if len(Topics()) != len(chapters) {
		t.Errorf("Topics lists %d of %d topics", len(Topics()), len(chapters))
	}
}

func TestFormatParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		step Step
		want string
	}{
		{"clone", Step{Namespaces, "clone(CLONE_NEWUTS|CLONE_NEWPID)", 1234567 * time.Nanosecond, ""},
			"trace ch.1  namespaces   1.235ms  clone(CLONE_NEWUTS|CLONE_NEWPID)"},
		{"failed", Step{Overlay, "mount -t overlay overlay /m", 2 * time.Millisecond, "no such device"},
			"trace ch.5  overlay      2.000ms  mount -t overlay overlay /m  -> failed: no such device"},
		{"two lines become one", Step{Endpoint, "ip addr\nadd", time.Second, ""},
			"trace ch.18 endpoint   1000.000ms  ip addr add"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Format(tc.step)
			if got != tc.want {
				t.Fatalf("Format = %q, want %q", got, tc.want)
			}
			s, ch, ok := Parse(got)
			if !ok {
				t.Fatalf("Parse(%q) failed", got)
			}
			if ch != ChapterOf(tc.step.Topic).Number || s.Topic != tc.step.Topic || s.Cmd != oneLine(tc.step.Cmd) || s.Err != tc.step.Err {
				t.Errorf("Parse = %+v ch.%d, want %+v", s, ch, tc.step)
			}
			if d := s.Duration - tc.step.Duration; d > time.Microsecond || d < -time.Microsecond {
				t.Errorf("duration %v, want %v", s.Duration, tc.step.Duration)
			}
		})
	}
	for _, bad := range []string{"", "trace", "time=1 level=debug msg=x", "trace ch.x overlay 1.000ms x", "trace ch.5 overlay 1ms x"} {
		if _, _, ok := Parse(bad); ok {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("trace ch.1  namespaces   1.235ms  clone(CLONE_NEWUTS)")
	f.Add("trace ch.5  overlay      2.000ms  mount  -> failed: x")
	f.Fuzz(func(t *testing.T, line string) {
		s, ch, ok := Parse(line)
		if !ok {
			return
		}
		if !strings.HasPrefix(line, "trace ch.") || ch < 0 || s.Duration < 0 {
			t.Fatalf("Parse(%q) = %+v ch.%d", line, s, ch)
		}
	})
}

func TestBeginOffAndOn(t *testing.T) {
	active.Store(nil)
	Begin(Rootfs, "pivot_root(%q)", ".")(nil) // off: nothing to write to
	var buf bytes.Buffer
	Enable(&buf)
	defer active.Store(nil)
	Begin(Rootfs, "pivot_root(%q, %q)", ".", ".")(nil)
	Begin(Cgroups, "echo 1 > x")(errors.New("boom"))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `ch.4  rootfs`) || !strings.HasSuffix(lines[0], `pivot_root(".", ".")`) ||
		!strings.HasSuffix(lines[1], "-> failed: boom") {
		t.Fatalf("trace:\n%s", buf.String())
	}
}
