package container

import (
	"os"
	"os/signal"
	"sync"

	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/container/spec"
	"mydocker/utils"
)

// What the caller lends a container it is attached to, shared by run and
// exec: its terminal and its signals.

// TerminalSize is the caller's terminal size for a container's pty, set
// before the command starts so it never sees a 0x0 terminal; nil when f
// is not a terminal.
func TerminalSize(f *os.File) *spec.ConsoleSize {
	if !utils.IsTerminal(f) {
		return nil
	}
	rows, cols, err := utils.WindowSize(f)
	if err != nil {
		return nil
	}
	return &spec.ConsoleSize{Rows: rows, Cols: cols}
}

// AttachTerminal puts the caller's terminal f in raw mode, so keys like ^C
// reach the container's line discipline, and makes pty follow its size.
// detach undoes both. On a non-terminal it does nothing.
func AttachTerminal(f, pty *os.File) (detach func() error) {
	if !utils.IsTerminal(f) {
		return func() error { return nil }
	}
	term, err := utils.MakeRaw(f)
	if err != nil {
		log.Warn(err)
	}
	stop := utils.SyncWindowSize(f, pty)
	return func() error {
		stop()
		return term.Restore()
	}
}

// PassBrokenPipes makes a write to our closed stdout or stderr fail with
// EPIPE, for the rest of this process, instead of killing it with SIGPIPE
// (Go's default for descriptors 1 and 2). A caller relaying a container's
// output must outlive its reader: in `mydocker run --rm busybox yes | head`
// the relay then closes the container's end, the command gets the SIGPIPE
// it would have got writing to head directly, and we stay to record its
// exit and remove it. Killed, we left it behind, killed and not removed.
// A caught signal is reset to its default by exec, so no process we start
// inherits this. Calling it again does nothing.
var PassBrokenPipes = sync.OnceFunc(func() {
	signal.Notify(make(chan os.Signal, 1), unix.SIGPIPE)
})

// forwardedSignals are passed on to the container's process, so that ^C
// or a kill of mydocker reaches the container.
var forwardedSignals = []os.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2}

// CatchSignals starts catching the signals to forward. Call it before the
// process starts, so none is lost in between, and signal.Stop it after.
func CatchSignals() chan os.Signal {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwardedSignals...)
	return sigs
}

// ForwardSignals passes every caught signal to send until sigs is closed.
func ForwardSignals(sigs <-chan os.Signal, send func(os.Signal) error) {
	for sig := range sigs {
		log.Debugf("forwarding %v", sig)
		if err := send(sig); err != nil {
			log.Debugf("forward %v: %v", sig, err)
		}
	}
}
