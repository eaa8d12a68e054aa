package container

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
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
// mutex keeps each entry whole. It rotates the file as Docker's json-file
// driver does: path, path.1 (older), ... path.<MaxFile-1> (oldest).
//
// A write that fails (the disk is full) drops that entry and is counted,
// never returned: the copiers must keep draining the container's pipes,
// or the container would die of SIGPIPE for our lack of disk space.
type LogFile struct {
	mu      sync.Mutex
	path    string
	opts    LogOptions
	f       *os.File
	size    int64 // of f, where the next entry goes
	streams []*streamWriter

	dropped  int   // entries not written
	firstErr error // why the first one was not
}

// OpenLog opens (appending to) the log at path, rotated as opts say.
func OpenLog(path string, opts LogOptions) (*LogFile, error) {
	l := &LogFile{path: path, opts: opts.withDefaults()}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *LogFile) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return errors.Wrap(err, "open container log")
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return errors.Wrap(err, "open container log")
	}
	l.f, l.size = f, fi.Size()
	return nil
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
	if l.size > 0 && l.size+int64(len(data)) > l.opts.MaxSize {
		if err := l.rotate(); err != nil {
			l.dropLocked(err)
			return
		}
	}
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

// rotate shifts path.N-1 to path.N ... path to path.1 and starts a new,
// empty path. With one file, the log is emptied instead.
func (l *LogFile) rotate() error {
	if l.opts.MaxFile <= 1 {
		if l.f == nil {
			if err := l.open(); err != nil {
				return err
			}
		}
		if err := l.f.Truncate(0); err != nil {
			return errors.Wrap(err, "truncate container log")
		}
		l.size = 0
		return nil
	}
	if l.f != nil {
		if err := l.f.Close(); err != nil {
			log.Debugf("close container log: %v", err)
		}
		l.f = nil
	}
	for i := l.opts.MaxFile - 1; i >= 1; i-- {
		from := l.path
		if i > 1 {
			from = l.path + "." + strconv.Itoa(i-1)
		}
		if err := os.Rename(from, l.path+"."+strconv.Itoa(i)); err != nil && !os.IsNotExist(err) {
			return errors.Wrap(err, "rotate container log")
		}
	}
	return l.open()
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

// OpenLogs opens a container's log at path and its rotated files, oldest
// first, so reading them in turn reads the log in order. Files are opened
// newest first and the set is opened again if the log rotated meanwhile,
// so no file is read twice. It returns no files if the log does not
// exist (the container never ran).
func OpenLogs(path string) ([]*os.File, error) {
	for attempt := 0; ; attempt++ {
		files, err := openLogs(path)
		if err != nil || attempt == 10 {
			return files, err
		}
		// Unchanged newest file: no rotation happened while we opened.
		if len(files) == 0 || sameFile(files[len(files)-1], path) {
			return files, nil
		}
		closeAll(files...)
	}
}

func openLogs(path string) ([]*os.File, error) {
	var files []*os.File
	for i := 0; i <= maxLogFiles; i++ {
		p := path
		if i > 0 {
			p = path + "." + strconv.Itoa(i)
		}
		f, err := os.Open(p)
		if os.IsNotExist(err) {
			if i == 0 {
				continue // rotated just now, or never started
			}
			break
		}
		if err != nil {
			closeAll(files...)
			return nil, errors.Wrap(err, "open container log")
		}
		files = append(files, f)
	}
	// Oldest first.
	for i, j := 0, len(files)-1; i < j; i, j = i+1, j-1 {
		files[i], files[j] = files[j], files[i]
	}
	return files, nil
}

// sameFile reports whether f is the file at path now.
func sameFile(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// TailLog calls fn for the last n entries (all if n < 0) read from files
// in order.
func TailLog(files []*os.File, n int, fn func(LogEntry) error) error {
	if n < 0 {
		for _, f := range files {
			if err := ReadLog(f, fn); err != nil {
				return err
			}
		}
		return nil
	}
	// A ring of the last n entries: next is the oldest once it is full.
	var last []LogEntry
	next := 0
	for _, f := range files {
		err := ReadLog(f, func(e LogEntry) error {
			switch {
			case n == 0:
			case len(last) < n:
				last = append(last, e)
			default:
				last[next] = e
				next = (next + 1) % n
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for i := range last {
		if err := fn(last[(next+i)%len(last)]); err != nil {
			return err
		}
	}
	return nil
}

// FollowLog calls fn for entries appended to the log at path, reading on
// from f (the newest file, at its current offset), until done reports
// true, then for whatever is left. When the log rotates it finishes f and
// goes on with the next newer file. Only whole lines are read, so an
// entry being written is never split. Files it opens it closes; f is the
// caller's.
func FollowLog(f *os.File, path string, done func() bool, fn func(LogEntry) error) error {
	rd := bufio.NewReader(f)
	var partial []byte
	cur := f
	defer func() {
		if cur != f {
			cur.Close()
		}
	}()
	for {
		finished := done() // checked before reading: nothing is missed after it
		if err := readLines(rd, &partial, fn); err != nil {
			return err
		}
		if !sameFile(cur, path) {
			// Rotated: the writer is done with cur. Read what it wrote
			// last, then go on with the file written after it.
			if err := readLines(rd, &partial, fn); err != nil {
				return err
			}
			next, err := nextLog(cur, path)
			if err != nil {
				return err
			}
			if next != nil {
				if cur != f {
					cur.Close()
				}
				cur = next
				rd.Reset(cur)
				partial = partial[:0]
				continue
			}
		}
		if finished {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readLines calls fn for every whole line rd has now; a line still being
// written stays in partial.
func readLines(rd *bufio.Reader, partial *[]byte, fn func(LogEntry) error) error {
	for {
		chunk, err := rd.ReadBytes('\n')
		*partial = append(*partial, chunk...)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errors.Wrap(err, "read container log")
		}
		var e LogEntry
		if json.Unmarshal(*partial, &e) == nil {
			if err := fn(e); err != nil {
				return err
			}
		}
		*partial = (*partial)[:0]
	}
}

// nextLog opens the file written after cur, which rotation renamed to
// path.K: path.K-1, or path itself for K = 1. If cur was rotated away
// entirely, the oldest file left is next. nil: no newer file yet.
//
// The log may rotate again while we look: a rotation renames from the
// oldest file down (path.K to path.K+1 before path.K-1 to path.K), so if
// cur is still path.K once the next file is open, that file is the one
// written after cur; else the names have moved and we look again.
func nextLog(cur *os.File, path string) (*os.File, error) {
	for {
		next, moved, err := openNextLog(cur, path)
		if err != nil || !moved {
			return next, err
		}
	}
}

// rotationWindow runs between finding cur and opening the file after it,
// where a rotation would move the names: a test rotates the log there.
var rotationWindow = func() {}

// openNextLog is one look of nextLog; moved says a rotation came between.
//
// A rotation under way leaves a gap for a moment (path.K already moved
// to path.K+1, path.K-1 not yet to path.K), so the look goes on past a
// missing name: stopping there would take a newer file for the oldest
// and skip the files between.
func openNextLog(cur *os.File, path string) (next *os.File, moved bool, err error) {
	fi, err := cur.Stat()
	if err != nil {
		return nil, false, errors.Wrap(err, "stat container log")
	}
	oldest := ""
	for k := 1; k <= maxLogFiles; k++ {
		p := path + "." + strconv.Itoa(k)
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		oldest = p
		if !os.SameFile(fi, st) {
			continue
		}
		name := path
		if k > 1 {
			name = path + "." + strconv.Itoa(k-1)
		}
		rotationWindow()
		next, err := openIfExists(name)
		if err != nil || next == nil {
			return next, false, err
		}
		if st, err := os.Stat(p); err != nil || !os.SameFile(fi, st) {
			next.Close()
			return nil, true, nil
		}
		return next, false, nil
	}
	// cur is under none of the names. Still linked, it was passed over
	// while a rotation moved it: look again after the next poll.
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 0 {
		return nil, false, nil
	}
	if oldest == "" {
		next, err = openIfExists(path)
		return next, false, err
	}
	next, err = openIfExists(oldest)
	return next, false, err
}

func openIfExists(path string) (*os.File, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	return f, errors.Wrap(err, "open container log")
}

// tee writes to the log and to the caller. A caller whose terminal or
// file fails must not stop the log: it is dropped and the log goes on.
// A caller whose reader went away (EPIPE: `run ... | head`) ends the
// copy once the log has the data: the relay then closes the container's
// end of the pipe, and its command learns that its reader is gone as it
// would have without us in between.
func tee(logw, user io.Writer) io.Writer {
	if user == nil {
		return logw
	}
	return &teeWriter{logw: logw, user: user}
}

type teeWriter struct{ logw, user io.Writer }

func (t *teeWriter) Write(p []byte) (int, error) {
	var broken error
	if t.user != nil {
		if _, err := t.user.Write(p); errors.Is(err, unix.EPIPE) {
			broken = err
		} else if err != nil {
			t.user = nil
		}
	}
	n, err := t.logw.Write(p)
	if err == nil {
		err = broken
	}
	return n, err
}
