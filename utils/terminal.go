package utils

import (
	"os"
	"os/signal"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// Terminal is the caller's terminal while a container's pty is attached
// to it: raw, so keys like ^C reach the container's line discipline, and
// restored afterwards.
type Terminal struct {
	fd    int
	state *term.State
}

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// MakeRaw puts f's terminal in raw mode until Restore.
func MakeRaw(f *os.File) (*Terminal, error) {
	st, err := term.MakeRaw(int(f.Fd()))
	if err != nil {
		return nil, errors.Wrap(err, "set terminal raw mode")
	}
	return &Terminal{fd: int(f.Fd()), state: st}, nil
}

// Restore puts the terminal back as it was. It is safe on a nil Terminal.
func (t *Terminal) Restore() error {
	if t == nil {
		return nil
	}
	return errors.Wrap(term.Restore(t.fd, t.state), "restore terminal")
}

// WindowSize reads f's terminal size.
func WindowSize(f *os.File) (rows, cols uint16, err error) {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0, 0, errors.Wrap(err, "get window size")
	}
	return ws.Row, ws.Col, nil
}

// SyncWindowSize copies from's window size to pty now and on every
// SIGWINCH until the returned stop function is called. The copy made at
// once covers a resize that came before the signal was being watched.
func SyncWindowSize(from, pty *os.File) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, unix.SIGWINCH)
	copySize := func() {
		if ws, err := unix.IoctlGetWinsize(int(from.Fd()), unix.TIOCGWINSZ); err == nil {
			// Best effort: a failed resize only leaves the old size.
			unix.IoctlSetWinsize(int(pty.Fd()), unix.TIOCSWINSZ, ws) //nolint:errcheck
		}
	}
	copySize()
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-ch:
				copySize()
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
