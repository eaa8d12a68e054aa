package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/pkg/errors"
	"github.com/urfave/cli"
	"golang.org/x/sys/unix"

	"mydocker/container"
)

var eventsCommand = cli.Command{
	Name:  "events",
	Usage: "print container events (create, start, die, kill, stop, restart, rename, destroy) as they happen",
	Flags: []cli.Flag{
		cli.StringFlag{Name: "since", Usage: "also print past events from this time: 10m (ago), a Unix time, or RFC 3339"},
		cli.StringFlag{Name: "until", Usage: "stop at this time (with --since: print the window and exit)"},
		cli.StringSliceFlag{Name: "f, filter", Usage: "type=, event=, container= (name or ID), image= (repeatable)"},
		cli.StringFlag{Name: "format", Usage: "json, or a Go template such as {{.Action}} {{.Actor.ID}}"},
	},
	Action: eventsAction,
}

// eventsAction prints the journal's events in the window asked for. With
// no --since it prints only events from now on, as Docker; with no
// --until it follows the journal until interrupted.
func eventsAction(ctx *cli.Context) error {
	if ctx.NArg() > 0 {
		return errors.Errorf(`"events" takes no arguments, got %q`, ctx.Args().First())
	}
	since, until, err := logWindow(ctx)
	if err != nil {
		return err
	}
	filter, err := container.ParseEventFilters(ctx.StringSlice("filter"))
	if err != nil {
		return err
	}
	format, err := eventFormat(ctx.String("format"))
	if err != nil {
		return err
	}
	past := errors.New("past --until")
	print := func(ev *container.Event) error {
		t := ev.When()
		if !until.IsZero() && !t.Before(until) {
			return past
		}
		if (!since.IsZero() && t.Before(since)) || !filter.Match(ev) {
			return nil
		}
		return format(ev)
	}
	j := &journalReader{path: container.JournalPath(root(ctx)), print: print}
	err = j.run(!since.IsZero(), until)
	if err == past {
		return nil
	}
	return err
}

// eventFormat returns the printer for --format: Docker's line by default,
// JSON with "json", else the template.
func eventFormat(format string) (func(*container.Event) error, error) {
	switch format {
	case "":
		return func(ev *container.Event) error { _, err := fmt.Println(ev.String()); return err }, nil
	case "json":
		format = "{{json .}}"
	}
	tmpl, err := template.New("format").Funcs(template.FuncMap{"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	}}).Parse(format)
	if err != nil {
		return nil, errors.Wrap(err, "invalid --format")
	}
	return func(ev *container.Event) error {
		var b strings.Builder
		if err := tmpl.Execute(&b, ev); err != nil {
			return errors.Wrap(err, "--format")
		}
		_, err := fmt.Println(b.String())
		return err
	}, nil
}

// journalReader reads the event journal and follows it as it grows and
// rotates, sleeping on inotify between writes.
type journalReader struct {
	path  string
	print func(*container.Event) error
	cur   *os.File
	off   int64
}

func (j *journalReader) run(history bool, until time.Time) error {
	dir := filepath.Dir(j.path)
	in, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return errors.Wrap(err, "inotify")
	}
	defer unix.Close(in)
	// The directory, not the file: the file may not exist yet, and
	// rotation replaces it. Watched before the first read, so no write
	// after that read goes unseen.
	if _, err := unix.InotifyAddWatch(in, dir, unix.IN_MODIFY|unix.IN_CREATE|unix.IN_MOVED_TO|unix.IN_ONLYDIR); err != nil {
		return errors.Wrapf(err, "watch %s", dir)
	}
	defer func() {
		if j.cur != nil {
			j.cur.Close()
		}
	}()
	if history {
		if err := j.readOld(); err != nil {
			return err
		}
	}
	if err := j.open(!history); err != nil {
		return err
	}
	for {
		if err := j.readNew(); err != nil {
			return err
		}
		if j.rotated() {
			if err := j.readNew(); err != nil { // what was written before the rename
				return err
			}
			j.cur.Close()
			j.cur = nil
			if err := j.open(false); err != nil {
				return err
			}
			continue
		}
		timeout := -1
		if !until.IsZero() {
			left := time.Until(until)
			if left <= 0 {
				return nil
			}
			timeout = int(left/time.Millisecond) + 1
		}
		fds := []unix.PollFd{{Fd: int32(in), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, timeout); err != nil && err != unix.EINTR {
			return errors.Wrap(err, "poll")
		}
		buf := make([]byte, 4096)
		for {
			if _, err := unix.Read(in, buf); err != nil {
				break // EAGAIN: drained
			}
		}
	}
}

// readOld prints the rotated journal, the oldest events kept.
func (j *journalReader) readOld() error {
	f, err := os.Open(j.path + ".1")
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return errors.Wrap(err, "open event journal")
	}
	defer f.Close()
	_, err = container.ReadEvents(f, j.print)
	return err
}

// open opens the journal, at its end when only new events are wanted.
// No journal yet is no event yet: the next look opens it.
func (j *journalReader) open(atEnd bool) error {
	f, err := os.Open(j.path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return errors.Wrap(err, "open event journal")
	}
	j.cur, j.off = f, 0
	if atEnd {
		fi, err := f.Stat()
		if err != nil {
			return errors.Wrap(err, "stat event journal")
		}
		j.off = fi.Size()
	}
	return nil
}

// readNew prints the whole lines written since the last read.
func (j *journalReader) readNew() error {
	if j.cur == nil {
		if err := j.open(false); err != nil || j.cur == nil {
			return err
		}
	}
	if _, err := j.cur.Seek(j.off, 0); err != nil {
		return errors.Wrap(err, "seek event journal")
	}
	n, err := container.ReadEvents(j.cur, j.print)
	j.off += n
	return err
}

// rotated reports whether the journal's name now names another file.
func (j *journalReader) rotated() bool {
	if j.cur == nil {
		return false
	}
	a, err := j.cur.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(j.path)
	return err == nil && !os.SameFile(a, b)
}
