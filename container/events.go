package container

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/utils"
)

// The event journal is how events work without a daemon: every command
// that changes a container appends one JSON line to <root>/events.log,
// with one write(2) on an O_APPEND descriptor, which the kernel keeps
// whole and in order between parallel writers; `events` reads it and,
// to follow it, sleeps on inotify. The journal is rotated past
// journalMax into events.log.1, so it holds the last few thousand events.

const (
	journalName = "events.log"
	journalMax  = 1 << 20
)

// Event is one line of the journal, with Docker's fields, so that
// `events --format '{{json .}}'` scripts find what they read from Docker.
type Event struct {
	Status   string `json:"status,omitempty"`
	ID       string `json:"id,omitempty"`
	From     string `json:"from,omitempty"`
	Type     string `json:"Type"`
	Action   string `json:"Action"`
	Actor    Actor  `json:"Actor"`
	Scope    string `json:"scope"`
	Time     int64  `json:"time"`
	TimeNano int64  `json:"timeNano"`
}

// Actor is what an event is about: a container's ID and its image and
// name, plus what the action adds (exitCode, signal, oldName).
type Actor struct {
	ID         string            `json:"ID"`
	Attributes map[string]string `json:"Attributes"`
}

// When is the event's time.
func (e *Event) When() time.Time { return time.Unix(0, e.TimeNano) }

// String is Docker's line for the event:
// 2024-01-02T15:04:05.000000000Z container die ID (exitCode=0, image=busybox, name=web).
func (e *Event) String() string {
	keys := make([]string, 0, len(e.Actor.Attributes))
	for k := range e.Actor.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := make([]string, len(keys))
	for i, k := range keys {
		attrs[i] = k + "=" + e.Actor.Attributes[k]
	}
	return fmt.Sprintf("%s %s %s %s (%s)", e.When().UTC().Format("2006-01-02T15:04:05.000000000Z07:00"),
		e.Type, e.Action, e.Actor.ID, strings.Join(attrs, ", "))
}

// JournalPath is the event journal of a state root.
func JournalPath(root string) string { return filepath.Join(root, journalName) }

// Emit appends a container event for rec to the journal. It never fails
// the command that did the work: a journal that cannot be written is
// said in a warning.
func (s *Store) Emit(action string, rec *Record, attrs map[string]string) {
	a := map[string]string{"name": rec.Name}
	if rec.Image != "" {
		a["image"] = rec.Image
	}
	for k, v := range attrs {
		a[k] = v
	}
	now := time.Now()
	ev := Event{Status: action, ID: rec.ID, From: rec.Image, Type: "container", Action: action,
		Actor: Actor{ID: rec.ID, Attributes: a}, Scope: "local", Time: now.Unix(), TimeNano: now.UnixNano()}
	if err := appendEvent(s.Layout.Root, &ev); err != nil {
		log.Warnf("event journal: %v", err)
	}
}

func appendEvent(root string, ev *Event) error {
	line, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	path := JournalPath(root)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	// One write: the line goes in whole, never interleaved with another's.
	if _, err := f.Write(append(line, '\n')); err != nil {
		return err
	}
	if fi, err := f.Stat(); err == nil && fi.Size() > journalMax {
		return rotateJournal(path)
	}
	return nil
}

// rotateJournal moves a full journal to .1 (dropping the older one). The
// lock makes one writer rotate; the size is checked again under it, as
// another may have rotated meanwhile. A writer holding the old file open
// appends its line there, where a reader still finds it.
func rotateJournal(path string) error {
	lock, err := utils.Lock(path + ".lock")
	if err != nil {
		return err
	}
	defer lock.Unlock()
	fi, err := os.Stat(path)
	if err != nil || fi.Size() <= journalMax {
		return nil
	}
	return errors.Wrap(os.Rename(path, path+".1"), "rotate event journal")
}

// ReadEvents calls fn for every whole event in r, in order; a line that is
// not an event (a torn write of a killed command) is skipped. It returns
// the offset after the last whole line.
func ReadEvents(r io.Reader, fn func(*Event) error) (int64, error) {
	br := bufio.NewReader(r)
	var off int64
	for {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			return off, nil // a line without its newline is still being written
		}
		if err != nil {
			return off, errors.Wrap(err, "read event journal")
		}
		off += int64(len(line))
		var ev Event
		if json.Unmarshal(line, &ev) != nil {
			continue
		}
		if err := fn(&ev); err != nil {
			return off, err
		}
	}
}
