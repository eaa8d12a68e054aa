// Package trace narrates the kernel steps of a container's life for a
// reader of the series mydocker is built from: with --trace (or
// MYDOCKER_TRACE=1), every namespace, mount, pivot_root, cgroup write,
// veth, address and iptables rule is one line on stderr, as it happens,
// naming the chapter that explains it, the syscall or the shell command
// that does the same, and how long it took:
//
//	trace ch.5  overlay       0.412ms  mount -t overlay overlay -o lowerdir=...,upperdir=...,workdir=... .../merged
//
// The package is a leaf (standard library only): the host side's packages
// (container, cgroups, network) record their own steps here; the inside
// (init) never imports it, it reports its steps to the host on the sync
// socket (spec.MsgTrace), and the host records them here.
package trace

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mydocker/utils"
)

// Step is one kernel step as recorded.
type Step struct {
	Topic    Topic
	Cmd      string        // the syscall or the equivalent shell command
	Duration time.Duration // how long the step took
	Err      string        // non-empty: the step failed
}

// Recorder prints each step as it is recorded and keeps them (bench reads
// them back from the lines).
type Recorder struct {
	mu sync.Mutex
	w  io.Writer
}

var active atomic.Pointer[Recorder]

// Enable turns the trace on for this process, writing to w.
func Enable(w io.Writer) { active.Store(&Recorder{w: w}) }

// Redirect sends the trace to w from now on, if it is on (the monitor of
// run -d writes its start to the caller's pipe, the rest to its log).
func Redirect(w io.Writer) {
	if r := active.Load(); r != nil {
		r.mu.Lock()
		r.w = w
		r.mu.Unlock()
	}
}

// On reports whether this process traces.
func On() bool { return active.Load() != nil }

// Begin starts timing a step; the returned function ends it with the
// step's error (nil: it worked) and prints it. With the trace off it does
// nothing, and the command is not even formatted.
func Begin(t Topic, format string, args ...any) func(error) {
	r := active.Load()
	if r == nil {
		return func(error) {}
	}
	cmd := format
	if len(args) > 0 {
		cmd = fmt.Sprintf(format, args...)
	}
	start := time.Now()
	return func(err error) {
		s := Step{Topic: t, Cmd: cmd, Duration: time.Since(start)}
		if err != nil {
			s.Err = err.Error()
		}
		r.record(s)
	}
}

// Record prints a step timed elsewhere (inside the container).
func Record(s Step) {
	if r := active.Load(); r != nil {
		r.record(s)
	}
}

func (r *Recorder) record(s Step) {
	line := Format(s)
	r.mu.Lock()
	defer r.mu.Unlock()
	// A trace that cannot be written must not fail the container.
	io.WriteString(r.w, line+"\n") //nolint:errcheck
}

// Format is a step as one trace line: "trace ch.N TOPIC DURATION CMD",
// with " -> failed: ERR" after a failed step. Parse reads it back.
func Format(s Step) string {
	ch := ChapterOf(s.Topic)
	line := fmt.Sprintf("trace ch.%-2d %-10s %9s  %s", ch.Number, s.Topic, FormatDuration(s.Duration), oneLine(s.Cmd))
	if s.Err != "" {
		line += "  -> failed: " + oneLine(s.Err)
	}
	return line
}

// FormatDuration is d in milliseconds with microseconds, "0.412ms".
func FormatDuration(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64) + "ms"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

var lineRE = utils.LazyRegexp(`^trace ch\.(\d+) +(\S+) +(\d+\.\d{3})ms  (.*?)(  -> failed: .*)?$`)

// Parse reads a line Format wrote; ok is false for any other line.
func Parse(line string) (s Step, chapter int, ok bool) {
	m := lineRE().FindStringSubmatch(line)
	if m == nil {
		return Step{}, 0, false
	}
	chapter, err := strconv.Atoi(m[1])
	if err != nil {
		return Step{}, 0, false
	}
	ms, err := strconv.ParseFloat(m[3], 64)
	if err != nil {
		return Step{}, 0, false
	}
	s = Step{Topic: Topic(m[2]), Cmd: m[4], Duration: time.Duration(ms * float64(time.Millisecond))}
	if m[5] != "" {
		s.Err = strings.TrimPrefix(m[5], "  -> failed: ")
	}
	return s, chapter, true
}

// To sends the trace to w until the returned function restores what was
// before (the trace turned off, or its old writer).
func To(w io.Writer) (restore func()) {
	old := active.Load()
	if old == nil {
		Enable(w)
		return func() { active.Store(nil) }
	}
	old.mu.Lock()
	prev := old.w
	old.w = w
	old.mu.Unlock()
	return func() { Redirect(prev) }
}

// Write copies lines another process traced (stop prints the teardown
// the container's watcher did) to this process's trace.
func Write(lines []byte) {
	if r := active.Load(); r != nil && len(lines) > 0 {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.w.Write(lines) //nolint:errcheck // as record: the trace never fails a command
	}
}
