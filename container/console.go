package container

import (
	"fmt"
	"os"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// setupConsole opens a pseudo-terminal from the container's own devpts
// (so the command sees /dev/pts/0), makes it the controlling terminal and
// fds 0-2, and hands the master side to the parent, which relays it to
// the user's terminal.
func setupConsole(sync *os.File, size *ConsoleSize) error {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return errors.Wrap(err, "open /dev/ptmx")
	}
	defer master.Close()
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		return errors.Wrap(err, "unlock pty")
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		return errors.Wrap(err, "get pty number")
	}
	slavePath := fmt.Sprintf("/dev/pts/%d", n)
	slave, err := os.OpenFile(slavePath, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return errors.Wrapf(err, "open %s", slavePath)
	}
	defer slave.Close()
	if size != nil {
		ws := &unix.Winsize{Row: size.Rows, Col: size.Cols}
		if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, ws); err != nil {
			return errors.Wrap(err, "set terminal size")
		}
	}
	if err := unix.IoctlSetInt(int(slave.Fd()), unix.TIOCSCTTY, 0); err != nil {
		return errors.Wrap(err, "set controlling terminal")
	}
	for fd := 0; fd <= 2; fd++ {
		if err := unix.Dup3(int(slave.Fd()), fd, 0); err != nil {
			return errors.Wrapf(err, "dup pty onto fd %d", fd)
		}
	}
	if err := sendMsg(sync, syncMsg{Type: msgPty}, master); err != nil {
		return err
	}
	log.Debugf("init: terminal %s", slavePath)
	return nil
}
