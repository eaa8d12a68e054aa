package container

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"sync"
	"time"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// LogEntry is one line of a container log: a chunk of output, the stream
// it came from and when, as Docker's json-file driver stores it.
type LogEntry struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

// LogFile appends LogEntries to a container's log. Both streams share one
// file, so one mutex keeps each entry on its own line.
type LogFile struct {
	mu sync.Mutex
	f  *os.File
}

// OpenLog opens (appending to) the log at path.
func OpenLog(path string) (*LogFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, errors.Wrap(err, "open container log")
	}
	return &LogFile{f: f}, nil
}

// Stream returns a writer that records everything written as stream.
func (l *LogFile) Stream(name string) io.Writer { return streamWriter{l, name} }

// Close closes the log file.
func (l *LogFile) Close() error { return l.f.Close() }

type streamWriter struct {
	l      *LogFile
	stream string
}

func (w streamWriter) Write(p []byte) (int, error) {
	data, err := json.Marshal(LogEntry{Log: string(p), Stream: w.stream, Time: time.Now().UTC()})
	if err != nil {
		return 0, err
	}
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	if _, err := w.l.f.Write(append(data, '\n')); err != nil {
		return 0, err
	}
	return len(p), nil
}

// ReadLog calls fn for every entry of the log at path, in order. A torn
// last line (the writer was killed mid-write) is skipped.
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
