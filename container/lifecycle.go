package container

import (
	stderrors "errors"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/cgroups"
	"mydocker/network"
	"mydocker/trace"
	"mydocker/utils"
)

// A container's lifecycle on the host after it has started: stop, the
// one idempotent release of what a stopped container holds, and removal.
// Every path that ends a container (its monitor seeing it exit, stop,
// rm -f, a later start after a killed mydocker) goes through release.

// Stop asks container id to exit with its stop signal (the image's
// StopSignal or --stop-signal, else SIGTERM) and SIGKILLs it after
// timeout, then waits until its exit is recorded and its mounts are gone.
// A pid 1 that ignores the signal (no handler: the kernel drops it) is
// still stopped by the SIGKILL. Stopping a stopped container is a no-op.
// A negative timeout is the container's own (--stop-timeout), else
// DefaultStopTimeout.
func (s *Store) Stop(id string, timeout time.Duration) error {
	rec, err := s.Load(id)
	if err != nil {
		return err
	}
	// The user's stop is recorded before the signal: the monitor decides
	// whether to restart under the lock, with the exit, and a stopped
	// container never is. One waiting to restart is called off at once.
	// Without a policy nothing is written: on a full disk the write
	// would spend the space kept for recording the exit.
	var wasRestarting bool
	if !rec.Config.RestartPolicy.None() && (rec.State.Status == StatusRunning || rec.State.Restarting) {
		rec, err = s.Update(id, func(r *Record) error {
			if r.State.Status == StatusRunning || r.State.Restarting {
				wasRestarting = r.State.cancelRestart()
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if wasRestarting {
		wakeMonitor(&rec.State, true)
	}
	if timeout < 0 {
		timeout = rec.Config.StopWait()
	}
	st := rec.State
	if st.Status == StatusRunning && st.Alive() {
		if trace.On() {
			// The container's watcher tears it down: it traces that for us.
			defer s.showTeardown(id)()
		}
		sig := rec.Config.StopSignalNum()
		done := trace.Begin(trace.Stop, "kill -%s %d", strings.TrimPrefix(unix.SignalName(sig), "SIG"), st.Pid)
		if err := unix.Kill(st.Pid, sig); err != nil && err != unix.ESRCH {
			done(err)
			return errors.Wrapf(err, "signal %s", rec.Name)
		}
		done(nil)
		// A paused container gets the signal once thawed, as Docker
		// stops one.
		if err := thaw(rec); err != nil {
			return err
		}
		done = trace.Begin(trace.Stop, "wait for pid %d to exit (at most %s)", st.Pid, timeout)
		exited := waitUntil(timeout, func() bool { return !st.Alive() })
		done(nil)
		if !exited {
			log.Infof("%s did not exit %v after %s: sending SIGKILL", rec.Name, timeout, unix.SignalName(sig))
			done := trace.Begin(trace.Stop, "kill -KILL %d", st.Pid)
			err := killAndWait(&st)
			done(err)
			if err != nil {
				return err
			}
		}
	}
	// The monitor records the exit and unmounts; wait for it, or do its
	// work if it is gone.
	waitUntil(10*time.Second, func() bool {
		r, err := s.Load(id)
		return err != nil || r.State.Status != StatusRunning || !r.State.MonitorAlive()
	})
	stopped, err := s.Update(id, func(r *Record) error {
		if r.State.Alive() {
			return nil // started again meanwhile: its mounts are in use
		}
		if r.State.Status == StatusRunning && !r.State.Alive() {
			code, reason := r.State.exitOfGone()
			r.markExited(code, reason, time.Now().UTC())
		}
		return s.release(r)
	})
	var gone *NotFoundError
	if errors.As(err, &gone) && rec.Config.AutoRemove {
		// --rm: its watcher removed it as it exited. Stopped all the
		// same, as Docker's stop says.
		stopped, err = rec, nil
	}
	if err == nil && (st.Status == StatusRunning || wasRestarting) {
		s.Emit("stop", stopped, nil)
	}
	return err
}

// ErrRunning refuses to remove a running container without force.
var ErrRunning = stderrors.New("container is running")

// Remove deletes container id: it kills it first when force is set,
// releases everything it holds and deletes its writable layer and record.
// Volume data is never touched: directories are removed only once
// mountinfo shows nothing mounted under them. It works on a record left
// half-made by a killed mydocker, and removing twice is not an error for
// the parts already gone.
func (s *Store) Remove(id string, force bool) error {
	lock, err := s.Lock(id)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	rec, err := s.Load(id)
	if err != nil {
		if _, statErr := os.Stat(s.Dir(id)); os.IsNotExist(statErr) {
			return err
		}
		// An unreadable record still names what to clean up: its
		// directory's ID, never an ID read from the record itself.
		log.Warn(err)
		rec = &Record{ID: id, unreadable: true}
	}
	if !force && rec.State.Restarting && rec.State.MonitorAlive() {
		// As Docker: only rm -f ends a restart loop and removes.
		return errors.Wrapf(ErrRunning, "cannot remove %s: it is restarting: stop it first or use rm -f", rec.Name)
	}
	if rec.State.Alive() {
		if !force {
			return errors.Wrapf(ErrRunning, "cannot remove %s: stop it first or use rm -f", rec.Name)
		}
		done := trace.Begin(trace.Rm, "kill -KILL %d (rm -f)", rec.State.Pid)
		if err := unix.Kill(rec.State.Pid, unix.SIGKILL); err != nil && err != unix.ESRCH {
			done(err)
			return errors.Wrapf(err, "kill pid %d", rec.State.Pid)
		}
		// On v1 a frozen process dies of SIGKILL only once thawed.
		if err := thaw(rec); err != nil {
			done(err)
			return err
		}
		err := killAndWait(&rec.State)
		done(err)
		if err != nil {
			return err
		}
	}
	// The container is gone; its monitor may still be finishing (writing
	// the log, unmounting). release does all of that work itself, so the
	// monitor goes now rather than outlive the container it watched.
	if err := killMonitor(&rec.State); err != nil {
		return err
	}
	return s.destroy(rec, false)
}

// RecordExit records that container id's init ended with code and
// releases what the container held, under its lock; decide then sees the
// record (the restart decision). A --rm container is removed instead:
// its exit goes to the journal ("die", which wait reads), not to the
// record about to be deleted, and decide is not called. removed says
// which. A container removed while it ran (rm -f) is a NotFoundError.
func (s *Store) RecordExit(id string, code int, decide func(*Record)) (rec *Record, removed bool, err error) {
	lock, err := s.Lock(id)
	if err != nil {
		return nil, false, err
	}
	defer lock.Unlock()
	if rec, err = s.Load(id); err != nil {
		return nil, false, err
	}
	rec.markExited(code, "", time.Now().UTC())
	if cg, err := cgroups.New(rec.ID, rec.CgroupManager); err == nil {
		if rec.State.OOMKilled, err = cg.OOMKilled(); err != nil {
			log.Warnf("reading OOM events: %v", err)
		}
	}
	if rec.Config.AutoRemove {
		s.Emit("die", rec, exitAttrs(code))
		return rec, true, s.destroy(rec, true)
	}
	decide(rec)
	if err := s.release(rec); err != nil {
		return rec, false, err
	}
	return rec, false, s.write(rec)
}

func exitAttrs(code int) map[string]string { return map[string]string{"exitCode": strconv.Itoa(code)} }

// destroy removes a container that no longer runs: what it holds on the
// host, its writable layer, its address, then its record. The caller
// holds its lock. exited: its init has just been reaped here (a --rm
// container's exit), so its veth is left to the kernel, which removes it
// with the network namespace, and its address stays taken until then;
// rm and stop wait for it (deleting it if the namespace is held), so
// they return with the address free.
func (s *Store) destroy(rec *Record, exited bool) error {
	if err := s.releaseAndRemoveLayer(rec, exited); err != nil {
		return err
	}
	// Only a networked container holds an address (an unreadable record
	// might): the common case takes no network lock.
	if network.Bridged(rec.Config.Network) || rec.unreadable {
		if err := network.NewStore(s.Layout.Root).Release(rec.ID); err != nil {
			return err
		}
	}
	if err := s.Delete(rec.ID, rec.Name); err != nil {
		return err
	}
	s.Emit("destroy", rec, nil)
	return nil
}

// releaseAndRemoveLayer is release, then the removal of the writable
// layer. The layer (unmounted, then removed) and the rest (cgroups, veth)
// do not wait for each other (concurrently: the veth alone can take the
// kernel 10 ms). With the trace on, the steps keep the series' order:
// unmount, cgroups and network, then the layer's removal.
func (s *Store) releaseAndRemoveLayer(rec *Record, leaveVeth bool) error {
	ws := Workspace{Dir: s.WorkspaceDir(rec.ID), Spares: SpareWorkspaceDir(s.Layout.Root)}
	if trace.On() {
		if err := ws.Unmount(); err != nil {
			return err
		}
		if err := s.releaseHost(rec, leaveVeth); err != nil {
			return err
		}
		return ws.Remove()
	}
	return concurrently(func() error {
		if err := ws.Unmount(); err != nil {
			return err
		}
		return ws.Remove()
	}, func() error { return s.releaseHost(rec, leaveVeth) })
}

// release frees what a container that is not running holds on the host:
// its rootfs mount, its cgroups, its veth and port rules. Volumes need nothing: they were
// mounted only in the container's mount namespace, which the kernel
// dropped with its last process. It is idempotent, so it also cleans up
// after a killed mydocker. The caller holds the container's lock.
func (s *Store) release(rec *Record) error {
	if err := (Workspace{Dir: s.WorkspaceDir(rec.ID)}).Unmount(); err != nil {
		return err
	}
	return s.releaseHost(rec, false)
}

// releaseHost is release but for the rootfs mount; with leaveVeth the
// veth is left to the kernel (network.Disconnect).
func (s *Store) releaseHost(rec *Record, leaveVeth bool) error {
	// The containers sharing its ipc namespace hold their own binds of
	// its /dev/shm, in their mount namespaces.
	if rec.Config.IpcMode == ModeShareable || rec.unreadable {
		if err := s.unmountShm(rec.ID); err != nil {
			return err
		}
	}
	// Only a real container ID ever got a cgroup or a veth. An unreadable
	// record stands in under its directory's name, which is anything.
	if !ValidID(rec.ID) {
		return nil
	}
	drivers := []string{rec.CgroupManager}
	if rec.unreadable && cgroups.DefaultDriver() == cgroups.DriverSystemd {
		// Which driver made it is in the record: try both.
		drivers = append(drivers, cgroups.DriverSystemd)
	}
	for _, driver := range drivers {
		cg, err := cgroups.New(rec.ID, driver)
		if err != nil {
			return err
		}
		if err := cg.Destroy(); err != nil {
			return err
		}
	}
	// The veth's container end died with the network namespace; the host
	// end and the port rules are ours to remove. Only a container with a
	// network can have them (a record we could not read might), so the
	// common case runs no iptables at all.
	if !network.Bridged(rec.Config.Network) && !rec.unreadable {
		return nil
	}
	// Its names go first, so no peer resolves them to an address about
	// to be free.
	if network.UserDefined(rec.Config.Network) || rec.unreadable {
		if err := network.NewStore(s.Layout.Root).Leave(rec.ID); err != nil {
			return err
		}
	}
	if rec.unreadable && s.sharesVeth(rec.ID) {
		// The veth is named after a prefix of the ID: another container
		// sharing it (the directory name was forged, as no two real IDs
		// share it) owns that veth. A forged directory never had one.
		log.Warnf("not removing the veth of %s: another container's ID has the same prefix", utils.ShortID(rec.ID))
		return nil
	}
	return network.Disconnect(rec.ID, len(rec.Config.Ports) > 0 || rec.unreadable, leaveVeth)
}

// vethPrefix is how much of an ID network.Disconnect's veth name holds.
const vethPrefix = 11

// sharesVeth reports whether another container's ID starts like id, far
// enough to have the same veth name.
func (s *Store) sharesVeth(id string) bool {
	ids, err := s.ids()
	if err != nil {
		return true // cannot tell: keep the veth
	}
	for _, other := range ids {
		if other != id && len(other) >= vethPrefix && other[:vethPrefix] == id[:vethPrefix] {
			return true
		}
	}
	return false
}

// killMonitor SIGKILLs the process watching the container, if it still
// runs, and waits until it is gone.
func killMonitor(st *State) error {
	// A foreground run (or a monitor removing its --rm container) is the
	// process watching the container: it is finishing right here.
	if st.MonitorPid == os.Getpid() || !st.MonitorAlive() {
		return nil
	}
	return sigkill("monitor pid", st.MonitorPid, st.MonitorAlive)
}

// killAndWait SIGKILLs the container's first process, which takes the
// whole PID namespace with it, and waits until the kernel has reaped it.
func killAndWait(st *State) error { return sigkill("pid", st.Pid, st.Alive) }

// sigkill SIGKILLs pid and waits until alive says it is gone.
func sigkill(what string, pid int, alive func() bool) error {
	if err := unix.Kill(pid, unix.SIGKILL); err != nil && err != unix.ESRCH {
		return errors.Wrapf(err, "kill %s %d", what, pid)
	}
	deadline := time.Now().Add(10 * time.Second)
	for alive() {
		if time.Now().After(deadline) {
			return errors.Errorf("%s %d did not exit after SIGKILL", what, pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// waitUntil polls cond until it holds or timeout passes.
func waitUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// Kill sends sig to container id's first process, as Docker's kill does:
// the container exits with 128+sig if the signal ends it (a pid 1 gets
// only the signals it handles, besides SIGKILL). A paused container
// is thawed after a SIGKILL, which a frozen process dies of only then;
// any other signal would wait in the freezer, so it is refused.
func (s *Store) Kill(id string, sig unix.Signal) error {
	lock, err := s.Lock(id)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	rec, err := s.Load(id)
	if err != nil {
		return err
	}
	// As Docker's kill: SIGKILL or the container's stop signal stops it
	// as stop does, for good (no restart); any other signal that ends it
	// is a failure the restart policy answers.
	stops := sig == unix.SIGKILL || sig == rec.Config.StopSignalNum()
	if rec.State.Restarting && rec.State.MonitorAlive() {
		if !stops {
			return errors.Errorf("cannot kill container %s with %s: it is restarting (stop it, or send SIGKILL)", rec.Name, unix.SignalName(sig))
		}
		rec.State.cancelRestart()
		if err := s.Save(rec); err != nil {
			return err
		}
		// Not waited for: the monitor needs the lock we hold to go.
		wakeMonitor(&rec.State, false)
		s.Emit("kill", rec, map[string]string{"signal": strconv.Itoa(int(sig))})
		return nil
	}
	if rec.State.Status != StatusRunning || !rec.State.Alive() {
		return errors.Errorf("cannot kill container %s: it is not running", rec.Name)
	}
	if !rec.Config.RestartPolicy.None() && (stops && !rec.State.Paused || sig == unix.SIGKILL) {
		rec.State.ManuallyStopped = true
		if err := s.Save(rec); err != nil {
			return err
		}
	}
	if rec.State.Paused && sig != unix.SIGKILL {
		return errors.Errorf("cannot kill container %s with %s: it is paused (unpause it first, or send SIGKILL)", rec.Name, unix.SignalName(sig))
	}
	// The pid is the one we started (Alive compared its start time) and
	// cannot be reused before the monitor, its parent, reaps it.
	if err := unix.Kill(rec.State.Pid, sig); err != nil && err != unix.ESRCH {
		return errors.Wrapf(err, "signal %s", rec.Name)
	}
	s.Emit("kill", rec, map[string]string{"signal": strconv.Itoa(int(sig))})
	if sig == unix.SIGKILL {
		return thaw(rec)
	}
	return nil
}
