package inside

import (
	"fmt"
	"mydocker/container/spec"
	"os"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// setupConsole opens a pseudo-terminal from the container's own devpts
// (so the command sees /dev/pts/0), makes it the controlling terminal and
// fds 0-2, and hands the master side to the parent, which relays it to
// the user's terminal.
func setupConsole(sync *os.File, size *spec.ConsoleSize) error {
	master, slave, err := openPty()
	if err != nil {
		return err
	}
	defer master.Close()
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
	if err := spec.Send(sync, spec.Msg{Type: spec.MsgPty}, master); err != nil {
		return err
	}
	log.Debugf("init: terminal %s", slave.Name())
	return nil
}

// openPty opens a new pseudo-terminal pair from the /dev/ptmx of the
// current mount namespace, so it is numbered in the container's devpts.
func openPty() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, errors.Wrap(err, "open /dev/ptmx")
	}
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, nil, errors.Wrap(err, "unlock pty")
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		master.Close()
		return nil, nil, errors.Wrap(err, "get pty number")
	}
	path := fmt.Sprintf("/dev/pts/%d", n)
	slave, err = os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		master.Close()
		return nil, nil, errors.Wrapf(err, "open %s", path)
	}
	return master, slave, nil
}
