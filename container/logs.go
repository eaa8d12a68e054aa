package container

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"sync"
	"time"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// LogEntry is one line of a container's output, the stream it came from
// and when, as Docker's json-file driver stores it.
type LogEntry struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

// maxLine is where a line without a newline is cut into an entry anyway.
const maxLine = 16 << 10

// LogFile appends LogEntries to a container's log, one per line of output,
// so `logs --tail N` can count lines. Both streams share one file; a
// mutex keeps each entry whole.
//
// A write that fails (the disk is full) drops that entry and is counted,
// never returned: the copiers must keep draining the container's pipes,
// or the container would die of SIGPIPE for our lack of disk space.
type LogFile struct {
	mu      sync.Mutex
	f       *os.File
	size    int64 // of f, where the next entry goes
	streams []*streamWriter

	dropped  int   // entries not written
	firstErr error // why the first one was not
}

// OpenLog opens (appending to) the log at path.
func OpenLog(path string) (*LogFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, errors.Wrap(err, "open container log")
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, errors.Wrap(err, "open container log")
	}
	return &LogFile{f: f, size: fi.Size()}, nil
}

// Stream returns a writer that records everything written as stream. Its
// writes must come from one goroutine.
func (l *LogFile) Stream(name string) io.Writer {
	w := &streamWriter{l: l, stream: name}
	l.mu.Lock()
	l.streams = append(l.streams, w)
	l.mu.Unlock()
	return w
}

// Close writes out any unfinished line and closes the file.
func (l *LogFile) Close() error {
	l.mu.Lock()
	streams := l.streams
	l.mu.Unlock()
	for _, w := range streams {
		w.flush()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var err error
	if l.f != nil {
		err = l.f.Close()
		l.f = nil
	}
	return errors.Wrap(err, "close container log")
}

// Dropped is how many entries could not be written so far.
func (l *LogFile) Dropped() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropped
}

// DropReport says, in one line, how many entries could not be written
// and why; nil if none.
func (l *LogFile) DropReport() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dropped == 0 {
		return nil
	}
	return errors.Wrapf(l.firstErr, "container log: %d lines could not be written", l.dropped)
}

func (l *LogFile) append(stream string, line []byte) {
	data, err := json.Marshal(LogEntry{Log: string(line), Stream: stream, Time: time.Now().UTC()})
	if err != nil {
		l.drop(err)
		return
	}
	data = append(data, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		l.dropLocked(errors.New("container log is closed"))
		return
	}
	n, err := l.f.Write(data)
	if err != nil {
		// Cut a torn entry off, so the next one starts on its own line.
		if n > 0 {
			if terr := l.f.Truncate(l.size); terr != nil {
				l.size += int64(n)
			}
		}
		l.dropLocked(err)
		return
	}
	l.size += int64(n)
}

func (l *LogFile) drop(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dropLocked(err)
}

func (l *LogFile) dropLocked(err error) {
	if l.dropped == 0 {
		l.firstErr = err
	}
	l.dropped++
}

type streamWriter struct {
	l       *LogFile
	stream  string
	pending []byte // a line still waiting for its newline
}

func (w *streamWriter) Write(p []byte) (int, error) {
	data := p
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			w.pending = append(w.pending, data...)
			if len(w.pending) >= maxLine {
				w.flush()
			}
			break
		}
		line := data[:i+1]
		if len(w.pending) > 0 {
			line = append(w.pending, line...)
			w.pending = nil
		}
		w.l.append(w.stream, line)
		data = data[i+1:]
	}
	return len(p), nil
}

func (w *streamWriter) flush() {
	if len(w.pending) == 0 {
		return
	}
	line := w.pending
	w.pending = nil
	w.l.append(w.stream, line)
}

// ReadLog calls fn for every entry read from r, in order. A torn line (the
// writer was killed mid-write) is skipped.
func ReadLog(r io.Reader, fn func(LogEntry) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var e LogEntry
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return errors.Wrap(sc.Err(), "read container log")
}

// TailLog returns the last n entries of the log read from r (all if n < 0).
func TailLog(r io.Reader, n int) ([]LogEntry, error) {
	var out []LogEntry
	err := ReadLog(r, func(e LogEntry) error {
		out = append(out, e)
		if n >= 0 && len(out) > n {
			out = out[1:]
		}
		return nil
	})
	return out, err
}

// FollowLog calls fn for entries appended to f from its current offset
// until done reports true, then for whatever is left. Only whole lines are
// read, so an entry being written is never split.
func FollowLog(f *os.File, done func() bool, fn func(LogEntry) error) error {
	rd := bufio.NewReader(f)
	var partial []byte
	for {
		finished := done() // checked before reading: nothing is missed after it
		for {
			chunk, err := rd.ReadBytes('\n')
			partial = append(partial, chunk...)
			if err == io.EOF {
				break
			}
			if err != nil {
				return errors.Wrap(err, "read container log")
			}
			var e LogEntry
			if json.Unmarshal(partial, &e) == nil {
				if err := fn(e); err != nil {
					return err
				}
			}
			partial = partial[:0]
		}
		if finished {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}
