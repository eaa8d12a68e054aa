package container

import (
	"os"
	"strconv"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// WaitExit blocks until container id is not running (a created container
// first has to start and then exit) and returns its exit code. It sleeps
// in poll(2) rather than polling the record: the record directory is
// watched with inotify (every record write is a rename into it, and
// removal deletes it) and, while the container runs, its first process
// and its monitor are watched with pidfds, so a monitor killed with
// SIGKILL, which records nothing, still wakes the waiter. Any number of
// waiters can wait at once; each has its own descriptors. A container
// removed once it exited (--rm) is waited for too: the exit code is then
// its die event's.
func (s *Store) WaitExit(id string) (int, error) {
	in, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return 0, errors.Wrap(err, "inotify")
	}
	defer unix.Close(in)
	// Watched before the first read, so no write after it goes unseen.
	const mask = unix.IN_MOVED_TO | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR
	if _, err := unix.InotifyAddWatch(in, s.Dir(id), mask); err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
			return 0, &NotFoundError{Ref: id}
		}
		return 0, errors.Wrapf(err, "watch record of %s", id)
	}
	for {
		rec, err := s.Load(id)
		var nf *NotFoundError
		if errors.As(err, &nf) {
			// Removed (--rm, or rm) after it ran: its die event says how
			// it ended, as Docker's wait reports it.
			if code, ok := s.lastExit(id); ok {
				return code, nil
			}
		}
		if err != nil {
			return 0, err
		}
		st := rec.State
		// Gone with its monitor: nothing will record the exit, which is
		// the monitor's death's (Reconcile). While the monitor lives, it
		// records the exit (or removes the container): wait for that,
		// not for a guess.
		if st.Status == StatusRunning && !st.Alive() && !st.MonitorAlive() {
			// The monitor may have recorded the exit and gone after the
			// record was read: what it wrote is the answer, read anew.
			if fresh, err := s.Load(id); err == nil {
				rec = fresh
			}
			rec.Reconcile()
		}
		if rec.State.Status == StatusExited {
			return rec.State.ExitCode, nil
		}
		fds := []unix.PollFd{{Fd: int32(in), Events: unix.POLLIN}}
		if st.Status == StatusRunning {
			fds = append(fds, watchPid(st.Pid, st.Alive)...)
			fds = append(fds, watchPid(st.MonitorPid, st.MonitorAlive)...)
		}
		err = pollFds(fds)
		for _, fd := range fds[1:] {
			unix.Close(int(fd.Fd))
		}
		if err != nil {
			return 0, err
		}
		if err := drainInotify(in); err != nil {
			return 0, err
		}
	}
}

// watchPid returns a pidfd of pid, readable once it exits, if pid is
// still the process alive says it is. Opened before alive is asked, so
// the pidfd cannot be of a process that reused the pid.
func watchPid(pid int, alive func() bool) []unix.PollFd {
	if pid <= 0 {
		return nil
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil // gone already: the next look at the record says so
	}
	if !alive() {
		unix.Close(fd)
		return nil
	}
	return []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
}

// waitBackstop bounds each sleep: the descriptors wake the waiter at once
// in every case we know of, but one missed wakeup (a notification the
// kernel folds away under load) must cost a second, not the waiter.
const waitBackstop = 1000 // milliseconds

// pollFds sleeps until one of fds is ready, or waitBackstop has passed.
func pollFds(fds []unix.PollFd) error {
	for {
		_, err := unix.Poll(fds, waitBackstop)
		if err == nil {
			return nil
		}
		if err != unix.EINTR {
			return errors.Wrap(err, "poll")
		}
	}
}

// drainInotify reads every pending event. Which one it was does not
// matter: the record is read again after any of them (a log rotating in
// the directory wakes the waiter too, which costs one read of the record).
func drainInotify(fd int) error {
	buf := make([]byte, 16*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		n, err := unix.Read(fd, buf)
		switch {
		case err == unix.EINTR:
		case err == unix.EAGAIN || (err == nil && n == 0):
			return nil
		case err != nil:
			return errors.Wrap(err, "read inotify")
		}
	}
}

// lastExit finds the exit code of container id's last die event in the
// journal: all that is left of a container removed after it exited.
func (s *Store) lastExit(id string) (int, bool) {
	code, found := 0, false
	for _, path := range []string{JournalPath(s.Layout.Root) + ".1", JournalPath(s.Layout.Root)} {
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		_, err = ReadEvents(f, func(ev *Event) error {
			if ev.Type == "container" && ev.Action == "die" && ev.Actor.ID == id {
				if n, err := strconv.Atoi(ev.Actor.Attributes["exitCode"]); err == nil {
					code, found = n, true
				}
			}
			return nil
		})
		f.Close()
		if err != nil {
			log.Warnf("event journal: %v", err)
		}
	}
	return code, found
}
