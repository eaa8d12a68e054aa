package container

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/cgroups"
	"mydocker/container/spec"
	"mydocker/network"
	"mydocker/trace"
	"mydocker/utils"
)

// Attach says where a container's standard streams go besides its log.
// Foreground `run` attaches the caller's terminal or pipes; the detached
// monitor attaches nothing, so the log is the only copy.
type Attach struct {
	Stdin          *os.File          // nil: the container reads /dev/null
	Stdout, Stderr io.Writer         // nil: log only
	ConsoleSize    *spec.ConsoleSize // the caller's terminal size, for -t
}

// Runner starts containers from their records and watches them until they
// exit. Foreground run and the detached monitor both use it, so a
// container's life is recorded the same way whichever started it.
type Runner struct {
	Store *Store
	Debug bool // init logs each setup step to our stderr
	// Respawn: the caller (the monitor) execs itself afresh once the
	// container runs (Running.respawn), so start leaves the copying of
	// its output and its health checks to that new image.
	Respawn bool
	// Early is the container's init, started before its record was made
	// (foreground run): the start takes it if it fits, else discards it
	// and starts another. The caller still discards it after the start,
	// in case the start failed before it got that far.
	Early *EarlyInit
}

// Running is a started container being watched by this process.
type Running struct {
	store  *Store
	ID     string
	proc   *Process
	ports  *network.HostPorts // held until the container exits
	log    *LogFile
	copies sync.WaitGroup
	health *healthChecker // nil without a healthcheck
	// unwatched: started for a Runner with Respawn, its output not yet
	// copied (ends: the output pipes' read ends; with tty, none but the
	// pty master) and its health checks not started: respawn or watch
	// does that.
	unwatched bool
	tty       bool
	ends      []*os.File
	// stopRequested: the watching process was asked to stop the
	// container (^C on a foreground run), so its policy must not
	// restart it.
	stopRequested atomic.Bool
}

// RequestStop marks the coming exit as the user's stop: no restart.
func (c *Running) RequestStop() { c.stopRequested.Store(true) }

// Pid is the container's first process as seen from the host.
func (c *Running) Pid() int { return c.proc.Pid }

// PtyMaster is the container's terminal, nil without -t.
func (c *Running) PtyMaster() *os.File { return c.proc.PtyMaster }

// Signal forwards sig to the container's first process.
func (c *Running) Signal(sig os.Signal) error { return c.proc.Signal(sig) }

// Start mounts the container's rootfs, starts its command and records it
// as running. On failure nothing stays mounted and the error is a
// *spec.ExitError when the command itself could not be started. It is the
// user's start: the restart count starts again from 0, as Docker's.
func (r *Runner) Start(id string, a Attach) (c *Running, err error) {
	return r.start(id, a, func(rec *Record) error {
		if rec.State.Restarting && rec.State.MonitorAlive() {
			return errors.Errorf("container %s is restarting: stop it first", rec.Name)
		}
		rec.RestartCount = 0
		return nil
	})
}

// start is Start after check has accepted the record, under the lock.
func (r *Runner) start(id string, a Attach, check func(*Record) error) (c *Running, err error) {
	lock, err := r.Store.Lock(id)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	rec, err := r.Store.Load(id)
	if err != nil {
		return nil, err
	}
	if rec.State.Alive() {
		return nil, errors.Errorf("container %s is already running", rec.Name)
	}
	if err := check(rec); err != nil {
		return nil, err
	}
	// A previous run may have died without its monitor cleaning up.
	if err := r.Store.release(rec); err != nil {
		return nil, err
	}
	// A previous run may have used up the space kept for recording its
	// exit; without it this run's exit may go unrecorded on a full disk.
	if needsReserve(rec) {
		if err := r.Store.Reserve(id); err != nil {
			log.Warn(err)
		}
	}
	defer func() {
		if err != nil {
			err = utils.JoinCleanup(err, "cleaning up after the failed start", r.Store.release(rec))
		}
	}()
	c = &Running{store: r.Store, ID: id}

	// The namespaces shared with other containers are opened first: if
	// one of them is not running, nothing else is set up.
	j, err := r.Store.openJoins(rec)
	if err != nil {
		return nil, err
	}
	defer j.close() // init holds them once started

	// The mounts init is told of exist before init does: its mount
	// namespace is a copy of ours as it is at the clone, and a mount made
	// later would not show in it. So do the cgroups and their limits: on
	// v2 init is created inside them, on v1 it joins them itself first
	// thing. The two do not wait for each other (see concurrently).
	// An init started early, before the overlay, is sent a copy of it.
	proc, parentEnds := r.Early.take(rec, j, a)
	early := proc
	defer func() {
		if early != nil { // failed before it was handed on
			closeAll(parentEnds...)
			early.Cancel(nil) //nolint:errcheck // returns its argument
		}
	}()
	ws := Workspace{Dir: r.Store.WorkspaceDir(id), Volatile: rec.Config.AutoRemove, InitLayers: InitLayerDir(r.Store.Layout.Root), Spares: SpareWorkspaceDir(r.Store.Layout.Root)}
	var cg cgroups.Manager
	if err := concurrently(
		func() error { return ws.Mount(rec.Layers) },
		func() (err error) { cg, err = makeCgroups(rec); return err },
	); err != nil {
		return nil, err
	}
	shm := j.shm
	if rec.Config.IpcMode == ModeShareable {
		if shm, err = r.Store.mountShm(rec); err != nil {
			return nil, err
		}
	}
	if early != nil {
		if err := early.sendRootfs(ws.Merged()); err != nil {
			// A kernel without open_tree (before 5.2), or init gone.
			log.Debugf("%v: init started again", err)
			closeAll(parentEnds...)
			early.Cancel(nil) //nolint:errcheck // returns its argument
			early, proc = nil, nil
		}
	}
	if proc == nil {
		if proc, parentEnds, err = r.startInit(rec, j, a, cg); err != nil {
			return nil, err
		}
		log.Debugf("init started as pid %d", proc.Pid)
	} else {
		log.Debugf("init started early as pid %d is the container's, sent its rootfs", proc.Pid)
	}
	early = nil // from here on, the failures below handle proc
	c.proc = proc
	l, err := r.prepare(c, rec, proc, j)
	if err != nil {
		closeAll(parentEnds...)
		return nil, proc.Cancel(err)
	}
	logFile := c.log
	defer func() {
		if err != nil {
			logFile.Close()
		}
	}()
	l.ws, l.cg, l.attach, l.shm = ws, cg, a, shm

	if c.ports, err = r.setup(l); err != nil {
		closeAll(parentEnds...)
		return nil, err
	}
	// Recorded before any output is copied: a container whose output fills
	// the disk at once must not make this write spend the space kept
	// beside the record, which its exit needs. Meanwhile the output waits
	// in the pipe or the pty.
	rec.markRunning(proc.Pid)
	rec.State.Health = rec.Config.initialHealth()
	if err := r.Store.Save(rec); err != nil {
		proc.kill()
		closeAll(parentEnds...)
		if proc.PtyMaster != nil {
			proc.PtyMaster.Close()
		}
		c.ports.Close()
		return nil, err
	}
	c.tty = rec.Config.Tty
	if r.Respawn && proc.forkedBy != 0 && a == (Attach{}) {
		c.unwatched, c.ends = true, parentEnds
	} else {
		c.relay(rec.Config.Tty, a, parentEnds)
		c.health = startHealthChecks(r.Store, rec)
	}
	r.Store.Emit("start", rec, nil)
	return c, nil
}

// startInit starts init for the container of rec now that its rootfs
// and cgroups exist, and returns it with our ends of its stdio pipes.
func (r *Runner) startInit(rec *Record, j *joins, a Attach, cg cgroups.Manager) (*Process, []*os.File, error) {
	cgDir, err := cg.Placement().OpenDir()
	if err != nil {
		return nil, nil, err
	}
	defer closeAll(cgDir)
	stdio, parentEnds, err := newStdio(rec.Config.Tty, a.Stdin != nil)
	if err != nil {
		return nil, nil, err
	}
	var logTo *os.File
	if r.Debug {
		logTo = os.Stderr
	}
	// init starts now, and waits for its config: the log, the address and
	// the /etc files are made meanwhile, while its runtime starts on the
	// other CPU.
	proc, err := NewProcess(j.namespaces, stdio, logTo, cgDir)
	closeAll(stdio.Stdin, stdio.Stdout, stdio.Stderr) // the container holds its own copies now
	if err != nil {
		closeAll(parentEnds...)
		return nil, nil, err
	}
	return proc, parentEnds, nil
}

// prepare makes what init's config names but init does not need until it
// has its config, while init starts: the container's log, its address
// and its /etc files. On failure it leaves c.log closed.
func (r *Runner) prepare(c *Running, rec *Record, proc *Process, j *joins) (l *launch, err error) {
	logFile, err := OpenLog(r.Store.LogPath(rec.ID), rec.Config.Log)
	if err != nil {
		return nil, err
	}
	c.log = logFile
	defer func() {
		if err != nil {
			logFile.Close()
		}
	}()
	var netw *network.Network
	var ip net.IP
	if network.Bridged(rec.Config.Network) {
		var want net.IP // nil: any free address
		if rec.Config.IPAddress != "" {
			want = net.ParseIP(rec.Config.IPAddress)
		}
		if netw, ip, err = network.NewStore(r.Store.Layout.Root).Allocate(rec.Config.Network, rec.ID, want); err != nil {
			return nil, err
		}
	}
	etcMounts, hostsBase, err := r.writeEtcFiles(rec, netw, ip)
	if err != nil {
		return nil, err
	}
	r.shareEtcFiles(etcMounts, j)
	return &launch{rec: rec, netw: netw, ip: ip, etcMounts: etcMounts, hostsBase: hostsBase, proc: proc}, nil
}

func hostname(rec *Record) string {
	if rec.Config.Hostname != "" {
		return rec.Config.Hostname
	}
	if rec.Config.Network == network.Host {
		// As Docker: sharing the host's network, the container has
		// the host's name (in a UTS namespace of its own all the same).
		if h, err := os.Hostname(); err == nil {
			return h
		}
	}
	return utils.ShortID(rec.ID)
}

// shareEtcFiles makes a container that shares another's network see
// that container's /etc/hosts and resolv.conf (its peers and name
// servers are the network's, as in Docker), and its /etc/hostname when it
// shares its uts namespace too.
func (r *Runner) shareEtcFiles(mounts []spec.Mount, j *joins) {
	for i, m := range mounts {
		switch {
		case j.net != nil && (m.Destination == "/etc/hosts" || m.Destination == "/etc/resolv.conf"):
			mounts[i].Source = filepath.Join(r.Store.Dir(j.net.ID), filepath.Base(m.Destination))
		case j.uts != nil && m.Destination == "/etc/hostname":
			mounts[i].Source = filepath.Join(r.Store.Dir(j.uts.ID), "hostname")
		}
	}
}

// writeEtcFiles writes the container's /etc files beside its record and
// returns the bind mounts that put them in place, as Docker does, and
// what its /etc/hosts says of itself (its network adds its peers).
func (r *Runner) writeEtcFiles(rec *Record, netw *network.Network, ip net.IP) ([]spec.Mount, string, error) {
	c := network.EtcConfig{
		IP: ip, Hostname: hostname(rec), Name: rec.Name,
		HostNet: rec.Config.Network == network.Host,
		DNS:     network.DNSConfig{Servers: rec.Config.DNS, Search: rec.Config.DNSSearch, Options: rec.Config.DNSOptions},
	}
	extra, err := network.ParseAddHosts(rec.Config.ExtraHosts)
	if err != nil {
		return nil, "", err
	}
	for _, h := range extra {
		if h.IP == network.HostGateway {
			// The host as the container reaches it: its bridge's
			// address, or loopback when it shares the host's network.
			switch {
			case netw != nil:
				h.IP = netw.Gateway
			case c.HostNet:
				h.IP = "127.0.0.1"
			default:
				return nil, "", errors.Errorf("--add-host %s:%s needs a network", h.Name, network.HostGateway)
			}
		}
		c.ExtraHosts = append(c.ExtraHosts, h)
	}
	files, err := network.WriteEtcFiles(r.Store.Dir(rec.ID), c)
	if err != nil {
		return nil, "", err
	}
	mounts := make([]spec.Mount, 0, len(files))
	for _, f := range files {
		mounts = append(mounts, spec.Mount{Source: f.Path, Destination: f.Destination})
	}
	return mounts, network.HostsFile(c), nil
}

// launch is what Start has gathered for one start of a container by the
// time init runs: setup hands it on to init and the network.
type launch struct {
	rec       *Record
	ws        Workspace
	cg        cgroups.Manager
	netw      *network.Network // nil: no network beyond lo
	ip        net.IP
	etcMounts []spec.Mount // /etc/hosts, /etc/hostname, /etc/resolv.conf
	hostsBase string       // what /etc/hosts says before its network's peers
	attach    Attach
	proc      *Process
	shm       string // the shared /dev/shm to bind, "" for its own
}

// initConfig is the one place init's config is built: everything init is
// told comes from the record and this launch.
func (r *Runner) initConfig(l *launch) (*spec.InitConfig, error) {
	rec := l.rec
	sec, err := rec.Config.Security()
	if err != nil {
		return nil, err
	}
	cfg := &spec.InitConfig{
		Build:       spec.BuildID,
		Security:    sec,
		Rootfs:      l.ws.Merged(),
		Mounts:      append(sortMounts(rec.Config.Volumes), l.etcMounts...),
		Args:        rec.Config.Args(),
		Env:         processEnv(hostname(rec), rec.Config.Tty, rec.Config.Env),
		Cwd:         rec.Config.WorkingDir,
		User:        rec.Config.User,
		Hostname:    hostname(rec),
		Tty:         rec.Config.Tty,
		ConsoleSize: l.attach.ConsoleSize,
		Debug:       r.Debug,
		Trace:       trace.On(),
		Proc:        rec.Config.processExtras(),
		// Run flags (runflags.go).
		ReadonlyRootfs: rec.Config.ReadonlyRootfs,
		ShmSize:        rec.Config.ShmSize,
		ShmSource:      l.shm,
	}
	if rec.Config.UTSMode != "" {
		cfg.Hostname = "" // the host's or another container's: kept
	}
	for _, d := range rec.Config.Devices {
		cfg.Devices = append(cfg.Devices, d.Node)
	}
	if rec.Config.Init {
		if cfg.InitBinary, err = ReaperPath(); err != nil {
			return nil, errors.Wrap(err, "--init")
		}
	}
	if !l.proc.InCgroup {
		cfg.CgroupFiles = l.cg.Placement().Tasks
	}
	cfg.RootfsMount = l.proc.rootfsSent
	if sec.Seccomp {
		// Assembled once per capability set for the whole root, rather
		// than by every init (about 0.5 ms and 360 KB of garbage).
		if cfg.SeccompCaps, err = keptCaps(&sec); err != nil {
			return nil, err
		}
		prog, err := CachedSeccompProgram(SeccompCacheDir(r.Store.Layout.Root), AssembleSeccomp)(cfg.SeccompCaps)
		if err != nil {
			return nil, err
		}
		cfg.SeccompFilter = spec.FilterBytes(prog)
	}
	return cfg, nil
}

// newStdio makes the container's fds 0-2. Without a tty, stdout and stderr
// are pipes that this process copies to the log (and the caller), and
// with -i so is stdin: the caller's own file (a terminal, a host file)
// never enters the container, where any process could reopen it through
// /proc/1/fd/0, for writing too, and keep it after we have gone. The
// parent's ends are stdout's, stderr's and, with -i, stdin's.
func newStdio(tty, stdin bool) (Stdio, []*os.File, error) {
	if tty {
		return Stdio{}, nil, nil // init makes the pty the container's fds
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return Stdio{}, nil, errors.Wrap(err, "stdout pipe")
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(outR, outW)
		return Stdio{}, nil, errors.Wrap(err, "stderr pipe")
	}
	stdio := Stdio{Stdout: outW, Stderr: errW}
	ends := []*os.File{outR, errR}
	if stdin {
		inR, inW, err := os.Pipe()
		if err != nil {
			closeAll(outR, outW, errR, errW)
			return Stdio{}, nil, errors.Wrap(err, "stdin pipe")
		}
		stdio.Stdin = inR
		ends = append(ends, inW)
	}
	return stdio, ends, nil
}

// relay copies the container's output to its log and the caller until
// the container closes it, and the caller's stdin to the terminal.
func (c *Running) relay(tty bool, a Attach, ends []*os.File) {
	copyTo := func(dst io.Writer, src *os.File) {
		defer c.copies.Done()
		defer src.Close()
		_, err := io.Copy(dst, src)
		// A pty master reads EIO once every slave is closed: that is EOF.
		// EPIPE: our reader went away (see tee).
		if err != nil && !errors.Is(err, unix.EIO) && !errors.Is(err, unix.EPIPE) {
			log.Warnf("copying container output: %v", err)
		}
	}
	if tty {
		master := c.proc.PtyMaster
		c.copies.Add(1)
		go copyTo(tee(c.log.Stream("stdout"), a.Stdout), master)
		if a.Stdin != nil {
			// Not waited for: the caller's stdin may never reach EOF.
			go func() {
				if _, err := io.Copy(master, a.Stdin); err != nil && !errors.Is(err, os.ErrClosed) && !errors.Is(err, unix.EIO) {
					log.Debugf("copying stdin to container: %v", err)
				}
			}()
		}
		return
	}
	c.copies.Add(2)
	go copyTo(tee(c.log.Stream("stdout"), a.Stdout), ends[0])
	go copyTo(tee(c.log.Stream("stderr"), a.Stderr), ends[1])
	if len(ends) > 2 {
		// Not waited for: the caller's stdin may never reach EOF. Its
		// end tells the container's command, as it would have directly.
		go func(w *os.File) {
			defer w.Close()
			if _, err := io.Copy(w, a.Stdin); err != nil && !errors.Is(err, unix.EPIPE) {
				log.Debugf("copying stdin to container: %v", err)
			}
		}(ends[2])
	}
}

// Wait waits until the container exits, records how it ended, releases
// its mounts and, with --rm, removes it. It returns the exit code.
func (c *Running) Wait() (int, error) {
	code, _, err := c.WaitRestart(nil)
	return code, err
}

// WaitRestart is Wait that also decides, with the exit recorded, whether
// the restart policy starts the container again (b: the back-off so far;
// nil: never). Then the record says restarting and the decision says
// after how long; the caller sleeps it and calls Runner.restart.
func (c *Running) WaitRestart(b *Backoff) (int, RestartDecision, error) {
	var next RestartDecision
	code, werr := c.proc.Wait()
	log.Debugf("container exited with %d", code)
	c.health.stop() // no check is recorded after the exit
	if err := c.ports.Close(); err != nil {
		log.Warn(err)
	}
	c.copies.Wait()
	// No log: adopted by a monitor that could not open it (adopt).
	if c.log != nil {
		if err := c.log.Close(); err != nil {
			log.Warnf("closing container log: %v", err)
		}
	}
	// Lost lines are reported once, after the exit is recorded: on a full
	// disk the record's reserve has then made room for the report in the
	// monitor's log.
	defer func() {
		if c.log == nil {
			return
		}
		if err := c.log.DropReport(); err != nil {
			log.Warn(err)
		}
	}()
	// `stop --trace` asks for the teardown done here, in its own file.
	defer c.store.traceTeardown(c.ID)()
	rec, removed, err := c.store.RecordExit(c.ID, code, func(rec *Record) {
		next = decideRestart(rec, b, code, c.stopRequested.Load())
	})
	if err != nil {
		if rec == nil {
			// Removed while running (rm -f): whoever removed it cleaned up.
			log.Debugf("container %s gone before it exited: %v", utils.ShortID(c.ID), err)
			return code, RestartDecision{}, werr
		}
		return code, RestartDecision{}, err
	}
	if removed {
		// As RemoveWithVolumes, once the container is gone.
		if err := c.store.Volumes().RemoveAnonymous(rec.Config.Volumes); err != nil {
			return code, RestartDecision{}, err
		}
		log.Debug("container removed (--rm)")
		return code, RestartDecision{}, werr
	}
	log.Debug("exit recorded, mounts and cgroups released")
	c.store.Emit("die", rec, exitAttrs(code))
	return code, next, werr
}

// setup hands init its config and, while init builds the rootfs, plugs in
// the network; then it lets init go on to the user's command. Init is in
// its cgroups (limits already set) before anything else (created there on
// v2, joining first thing on v1, else moved here) and stops before the
// command until Continue, which writes the pids limit once init is set up,
// so even a fork bomb starts inside the limits.
// It returns the published host ports, to be held while the container runs.
func (r *Runner) setup(l *launch) (*network.HostPorts, error) {
	proc, cg := l.proc, l.cg
	initCfg, err := r.initConfig(l)
	if err != nil {
		return nil, proc.Abort(err)
	}
	// Moved (v2 without CLONE_INTO_CGROUP) before init reads its config:
	// init makes its cgroup namespace, rooted at its cgroup, first thing.
	if !proc.InCgroup && initCfg.CgroupFiles == nil {
		if err := cg.Apply(proc.Pid); err != nil {
			return nil, proc.Abort(err)
		}
	}
	if err := proc.SendConfig(initCfg); err != nil {
		return nil, err
	}
	log.Debugf("cgroups %v", cg.Paths())
	var ports *network.HostPorts
	if l.netw != nil {
		ep, held, err := network.NewStore(r.Store.Layout.Root).Connect(l.netw, l.rec.ID, l.ip, proc.Pid, l.rec.Config.Ports)
		if err != nil {
			return nil, proc.Abort(err)
		}
		l.rec.NetworkSettings = *ep
		ports = held
		if network.UserDefined(l.netw.Name) {
			if err := r.join(l); err != nil {
				ports.Close()
				return nil, proc.Abort(err)
			}
		}
	}
	limits := l.rec.Config.Resources
	if err := proc.Continue(func() error { return cgroups.SetLate(cg, &limits) }); err != nil {
		ports.Close()
		return nil, err
	}
	return ports, nil
}

// join makes the container known by name on its user network: its name,
// short ID and aliases in every other member's /etc/hosts, theirs in its.
func (r *Runner) join(l *launch) error {
	rec := l.rec
	names := []string{rec.Name, utils.ShortID(rec.ID)}
	if h := hostname(rec); h != names[1] && h != rec.Name {
		names = append(names, h)
	}
	names = append(names, rec.Config.NetworkAliases...)
	m := network.Member{IP: l.ip.String(), Names: names, Hosts: filepath.Join(r.Store.Dir(rec.ID), "hosts"), Base: l.hostsBase}
	return network.NewStore(r.Store.Layout.Root).Join(l.netw.Name, rec.ID, m)
}

// makeCgroups creates the container's cgroups and writes its limits.
func makeCgroups(rec *Record) (cgroups.Manager, error) {
	cg, err := cgroups.New(rec.ID, rec.CgroupManager)
	if err != nil {
		return nil, err
	}
	if err := cg.Create(); err != nil {
		return nil, err
	}
	early := rec.Config.Resources.Early() // the rest once init is set up: cgroups.SetLate
	if err := cg.Set(&early); err != nil {
		return nil, err
	}
	return cg, nil
}

func closeAll(files ...*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}
