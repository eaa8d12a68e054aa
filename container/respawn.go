package container

import (
	"os"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/network"
	"mydocker/utils"
)

// A detached container's monitor starts the container, then sleeps in
// wait for as long as it runs. What the start allocated (records, JSON,
// netlink, init's messages) would stay resident all that time: the Go heap
// is small, so it is seldom collected, and its pages, goroutine stacks and
// idle threads are not given back. So once the container runs, the
// monitor execs its own program afresh (respawn), and the new image
// adopts the container (adopt): exec keeps the pid, so init stays its
// child and the record's monitor (pid and start time) stays the same,
// and it keeps the descriptors handed over by number (MonitorArgs.Adopt):
// the output pipes or the pty master, the held host ports and the
// read-only view of mydocker-inside restarts start from. The new image
// holds only what watching needs: about half the memory.
//
// Init's parent-death signal follows the thread that forked it, and exec
// ends every other thread: the monitor forks init and execs from its main
// thread only (RunMonitor locks it there), and a container started by
// another thread (one that joins another container's namespaces) is
// watched in place instead.

// respawn execs this monitor's program to watch c afresh, with a's
// arguments and the back-off so far. It returns only if it could not,
// with everything as it was: the caller then watches c itself.
func (c *Running) respawn(a MonitorArgs, b *Backoff) error {
	tid := unix.Gettid()
	if c.proc.forkedBy != tid || tid != unix.Getpid() {
		return errors.Errorf("init was forked by thread %d, not this main thread %d", c.proc.forkedBy, tid)
	}
	ad := &Adopt{Pid: c.proc.Pid, Err: -1, Inside: -1, Backoff: b.last}
	var handed []*os.File // what the new image inherits
	if c.tty {
		ad.Out = int(c.proc.PtyMaster.Fd())
		handed = append(handed, c.proc.PtyMaster)
	} else {
		if len(c.ends) != 2 {
			return errors.Errorf("%d output descriptors, want stdout's and stderr's", len(c.ends))
		}
		ad.Out, ad.Err = int(c.ends[0].Fd()), int(c.ends[1].Fd())
		handed = append(handed, c.ends...)
	}
	if f := insideView(); f != nil {
		ad.Inside = int(f.Fd())
		handed = append(handed, f)
	}
	ports, err := c.ports.Files()
	if err != nil {
		return err
	}
	defer closeAll(ports...) // still here: the exec failed
	for _, f := range ports {
		ad.Ports = append(ad.Ports, int(f.Fd()))
	}
	handed = append(handed, ports...)
	for i, f := range handed {
		if err := setCloseOnExec(f, false); err != nil {
			for _, f := range handed[:i] {
				setCloseOnExec(f, true) //nolint:errcheck // as it was: set it failed just now on another
			}
			return err
		}
	}
	a.Resume, a.Adopt = nil, ad
	argv := append([]string{MonitorName}, a.Args()...)
	log.Debugf("respawning the monitor to watch pid %d", ad.Pid)
	// The program this process runs, whatever is at its path now: a new
	// build there must not watch what this build started.
	err = unix.Exec("/proc/self/exe", argv, os.Environ())
	for _, f := range handed {
		if cerr := setCloseOnExec(f, true); cerr != nil {
			log.Warnf("respawn: %v", cerr)
		}
	}
	return errors.Wrap(err, "exec the monitor afresh")
}

func setCloseOnExec(f *os.File, on bool) error {
	flag := 0
	if on {
		flag = unix.FD_CLOEXEC
	}
	_, err := unix.FcntlInt(f.Fd(), unix.F_SETFD, flag)
	return errors.Wrapf(err, "set close-on-exec of %s", f.Name())
}

// watch does here what respawn hands over: copy c's output to its log and
// run its health checks (rec: c's record; nil: read it). Nothing if that
// is done already.
func (c *Running) watch(rec *Record) {
	if !c.unwatched {
		return
	}
	c.unwatched = false
	c.relay(c.tty, Attach{}, c.ends)
	c.ends = nil
	if rec == nil {
		var err error
		if rec, err = c.store.Get(c.ID); err != nil {
			log.Warnf("no health checks for container %s: %v", utils.ShortID(c.ID), err)
			return
		}
	}
	c.health = startHealthChecks(c.store, rec)
}

// pollable is the inherited descriptor fd as a file the runtime's poller
// waits on, as the pipes and the pty were in the previous image (whose Fd
// made them blocking): a blocking one would hold a thread in read for
// each stream, all the time the container runs.
func pollable(fd int, name string) *os.File {
	if err := unix.SetNonblock(fd, true); err != nil {
		log.Debugf("%s: %v: read by a thread of its own", name, err)
	}
	return inherited(fd, name)
}

// inherited is a descriptor handed over by the previous image, made
// close-on-exec again, as every descriptor of ours is: what the monitor
// starts (init at a restart, a health check's exec) must not get the
// container's output pipes, its port sockets or the view of the binary.
func inherited(fd int, name string) *os.File {
	unix.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), name)
}

// adopt is the monitor's fresh image taking over container id, which its
// previous image started (respawn). If it cannot watch it (no log to write
// to), it kills it: the caller then records the exit as for any other.
func (s *Store) adopt(id string, ad *Adopt) (*Running, error) {
	if ad.Inside >= 0 {
		adoptInside(inherited(ad.Inside, InsideName))
	}
	var files []*os.File
	for _, fd := range ad.Ports {
		files = append(files, inherited(fd, "port"))
	}
	var pty *os.File
	var ends []*os.File
	tty := ad.Err < 0
	if tty {
		pty = pollable(ad.Out, "pty")
	} else {
		ends = []*os.File{pollable(ad.Out, "stdout"), pollable(ad.Err, "stderr")}
	}
	proc, err := adoptProcess(ad.Pid, pty)
	if err != nil {
		closeAll(append(append(files, ends...), pty)...)
		return nil, err
	}
	c := &Running{store: s, ID: id, proc: proc, ports: network.AdoptPorts(files), tty: tty, ends: ends, unwatched: true}
	rec, err := s.Get(id)
	if err == nil {
		c.log, err = OpenLog(s.LogPath(id), rec.Config.Log)
	}
	if err != nil {
		// Removed meanwhile (rm -f, which kills it too), or no log to
		// keep its output in: it cannot run unwatched.
		log.Warnf("cannot watch container %s: %v; killing it", utils.ShortID(id), err)
		c.RequestStop()
		if kerr := proc.Signal(unix.SIGKILL); kerr != nil {
			log.Warnf("kill container %s: %v", utils.ShortID(id), kerr)
		}
		closeAll(append(ends, pty)...)
		c.unwatched, c.ends = false, nil
		return c, nil
	}
	c.watch(rec)
	return c, nil
}
