package main

// The scale part: the memory an idle detached container costs (its
// monitor's RSS, against conmon under podman), ps and run with 100
// containers present (against runc list, and against run with none), and
// an address allocation in a network with 1,000 taken (against an empty
// one).

import (
	"bytes"
	cryptorand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"mydocker/network"
)

func scaleBench(e *env) ([]row, error) {
	// A second state root holds the containers present; e.root stays
	// empty of containers, for run with none present.
	full := filepath.Join(e.work, "full")
	mdFull := mdAt(full)
	e.cl.push(func() error { return removeContainers(full) })
	if err := os.MkdirAll(filepath.Join(full, "image"), 0o755); err != nil {
		return nil, err
	}
	if err := os.Link(filepath.Join(e.root, "image", "busybox.tar"), filepath.Join(full, "image", "busybox.tar")); err != nil {
		return nil, err
	}
	for _, md := range []func(...string) *exec.Cmd{e.md, mdFull} {
		if err := do(md("run", "--rm", "busybox", "true")); err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
	}

	// 4: idle detached containers, default network, as users run them.
	fmt.Fprintf(os.Stderr, "bench: scale: %d idle detached containers of each tool ...\n", *idle)
	running, err := startSleepers(mdFull, *idle)
	if err != nil {
		return nil, err
	}
	time.Sleep(2 * time.Second) // let the monitors settle into their wait
	out, err := output(mdFull(append([]string{"inspect", "-f", "{{.State.MonitorPid}}"}, running...)...))
	if err != nil {
		return nil, err
	}
	mine, err := rssOf(strings.Fields(out))
	if err != nil {
		return nil, fmt.Errorf("monitors: %w", err)
	}
	r := row{num: 4, what: fmt.Sprintf("idle monitor RSS (%d run -d sleep)", *idle), unit: mebibytes,
		mine: float64(median(mine)) / 1024, peer: "conmon (podman run -d)", target: absoluteAtMost(2.0)}
	theirs, why, err := conmonRSS(e, *idle)
	if err != nil {
		return nil, err
	}
	if why == "" {
		r.theirs, r.measured = float64(median(theirs))/1024, true
		r.note = fmt.Sprintf("median ps -o rss of each tool's monitors; podman --runtime runc run -d --network none, in the same run; " +
			"the target is absolute: 2 MiB; conmon's value is shown beside it")
	} else {
		r.note = "conmon not measured: " + why
	}
	rows := []row{r}

	// 6: with containers present: half running (those above, and more
	// if needed), the rest exited; runc with as many, running or created.
	fmt.Fprintf(os.Stderr, "bench: scale: %d containers present in each tool ...\n", *present)
	if more := *present/2 - len(running); more > 0 {
		ids, err := startSleepers(mdFull, more)
		if err != nil {
			return nil, err
		}
		running = append(running, ids...)
	}
	for i := len(running); i < *present; i++ {
		if err := do(mdFull("run", "busybox", "true")); err != nil {
			return nil, err
		}
	}
	for i := 0; i < *present; i++ {
		verb := "run"
		if i >= *present/2 {
			verb = "create"
		}
		if err := e.runc.detached(verb, fmt.Sprintf("present-%d", i)); err != nil {
			return nil, err
		}
	}
	// Both lists must hold all of them, or the comparison means nothing.
	out, err = output(mdFull("ps", "-a", "-q"))
	if err != nil {
		return nil, err
	}
	if k := len(strings.Fields(out)); k != *present {
		return nil, fmt.Errorf("ps -a lists %d containers, want %d", k, *present)
	}
	rids, err := e.runc.ids()
	if err != nil {
		return nil, err
	}
	if len(rids) != *present {
		return nil, fmt.Errorf("runc list lists %d containers, want %d", len(rids), *present)
	}
	t, err := alternate(*n,
		func(int) *exec.Cmd { return mdFull("ps", "-a") },
		func(int) *exec.Cmd { return e.runc.cmd("list") })
	if err != nil {
		return nil, err
	}
	rows = append(rows, timeRow(6, fmt.Sprintf("ps -a with %d containers", *present), t[0], t[1], "runc list", ratioAtMost(2.0),
		fmt.Sprintf("%d running (sleep) and %d exited; runc: %d runc run -d and %d runc create",
			len(running), *present-len(running), *present/2, *present-*present/2)))
	if t, err = alternate(*n,
		func(int) *exec.Cmd { return mdFull("run", "--rm", "busybox", "true") },
		func(int) *exec.Cmd { return e.md("run", "--rm", "busybox", "true") }); err != nil {
		return nil, err
	}
	rows = append(rows, timeRow(6, fmt.Sprintf("run --rm busybox true with %d present", *present), t[0], t[1],
		"with none (same tool)", ratioAtMost(1.05),
		"two state roots alternate, one with the containers above, one with none; the target is 1.0x (no slower) "+
			"with 5% allowed for timing noise"))
	// Free the machine for what follows; the cleanups stay queued in
	// case this fails half-way.
	if err := e.runc.cleanup(); err != nil {
		return nil, err
	}
	if err := removeContainers(full); err != nil {
		return nil, err
	}

	// 7: IPAM.
	fmt.Fprintf(os.Stderr, "bench: scale: an address among %d allocated ...\n", *ipamN)
	r, err = ipamRow(e)
	if err != nil {
		return nil, fmt.Errorf("ipam: %w", err)
	}
	return append(rows, r), nil
}

// startSleepers starts k detached containers running sleep.
func startSleepers(md func(...string) *exec.Cmd, k int) ([]string, error) {
	var ids []string
	for i := 0; i < k; i++ {
		out, err := output(md("run", "-d", "busybox", "sleep", "1000"))
		if err != nil {
			return nil, err
		}
		ids = append(ids, strings.TrimSpace(out))
	}
	return ids, nil
}

// rssOf is each process's resident memory in KiB, as ps -o rss shows it.
func rssOf(pids []string) ([]int, error) {
	if len(pids) == 0 {
		return nil, fmt.Errorf("no pids")
	}
	for _, p := range pids {
		if v, err := strconv.Atoi(p); err != nil || v <= 0 {
			return nil, fmt.Errorf("bad pid %q", p)
		}
	}
	out, err := output(quiet(exec.Command("ps", "-o", "rss=", "-p", strings.Join(pids, ","))))
	if err != nil {
		return nil, err
	}
	return parseRSS(out, len(pids))
}

// parseRSS reads ps -o rss= output: one number per process, want of them
// (fewer means a process had exited).
func parseRSS(out string, want int) ([]int, error) {
	var kbs []int
	for _, f := range strings.Fields(out) {
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("ps -o rss: bad value %q", f)
		}
		kbs = append(kbs, v)
	}
	if len(kbs) != want {
		return nil, fmt.Errorf("ps -o rss: %d values for %d processes (one exited?)", len(kbs), want)
	}
	return kbs, nil
}

// conmonRSS starts k containers with podman (runc, no network, a private
// storage root with the busybox rootfs imported) and returns the RSS of
// their conmons. A podman that cannot run here is no failure of the
// benchmark: why says what went wrong, and the row shows no peer.
func conmonRSS(e *env, k int) (kbs []int, why string, err error) {
	dir := filepath.Join(e.work, "podman-idle")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", err
	}
	conf, err := podmanConf(dir)
	if err != nil {
		return nil, "", err
	}
	args := func(a ...string) []string {
		return append([]string{"--root", filepath.Join(dir, "storage"), "--runroot", filepath.Join(dir, "run"),
			"--storage-driver", "overlay", "--runtime", "runc"}, a...)
	}
	pm := func(a ...string) *exec.Cmd {
		c := quiet(exec.Command("podman", args(a...)...))
		c.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
		return c
	}
	newCgroups := cgroupsToMake("libpod_parent")
	done := false
	clean := func() error {
		if done {
			return nil
		}
		done = true
		var errs []error
		if c := pm("rm", "-a", "-f", "-t", "0"); c.Run() != nil {
			errs = append(errs, cmdErr(c, fmt.Errorf("failed")))
		}
		if c := pm("rmi", "-a", "-f"); c.Run() != nil {
			errs = append(errs, cmdErr(c, fmt.Errorf("failed")))
		}
		// conmon runs `podman container cleanup` as each container exits,
		// which may still be starting after rm has returned; it would
		// mount the storage and make cgroups again after we removed them.
		if err := waitUnused(dir, 10*time.Second); err != nil {
			errs = append(errs, err)
		}
		// podman's overlay driver leaves its storage bind-mounted on
		// itself; that mount, under our own directory, is ours to undo.
		if len(errs) == 0 {
			if err := removeSettled(dir); err != nil {
				errs = append(errs, err)
			}
		}
		removeCgroups(newCgroups)
		if len(errs) > 0 {
			return fmt.Errorf("podman: %v", errs)
		}
		return nil
	}
	e.cl.push(clean)
	defer func() {
		if cerr := clean(); cerr != nil && err == nil {
			err = cerr
		}
	}()

	if _, err := exec.LookPath("podman"); err != nil {
		return nil, "podman is not installed (make deps installs it)", nil
	}
	// The import runs where /var/lib is an empty tmpfs: containers/image
	// keeps a blob cache there whatever --root says.
	imp := quiet(peer("podman", args("import", "-q", filepath.Join(e.root, "image", "busybox.tar"), "localhost/bench-busybox:1")...))
	imp.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
	if err := do(imp); err != nil {
		if err == errInterrupted {
			return nil, "", err
		}
		return nil, fmt.Sprintf("podman import: %v", err), nil
	}
	var ids []string
	for i := 0; i < k; i++ {
		out, err := podmanOutput(pm("run", "-d", "--network", "none", "localhost/bench-busybox:1", "sleep", "1000"))
		if err != nil {
			if err == errInterrupted {
				return nil, "", err
			}
			return nil, fmt.Sprintf("podman run -d: %v", err), nil
		}
		ids = append(ids, strings.TrimSpace(out))
	}
	time.Sleep(2 * time.Second)
	out, err := podmanOutput(pm(append([]string{"inspect", "--format", "{{.State.ConmonPid}}"}, ids...)...))
	if err != nil {
		if err == errInterrupted {
			return nil, "", err
		}
		return nil, fmt.Sprintf("podman inspect: %v", err), nil
	}
	if kbs, err = rssOf(strings.Fields(out)); err != nil {
		if err == errInterrupted {
			return nil, "", err
		}
		return nil, fmt.Sprintf("conmons' RSS: %v", err), nil
	}
	return kbs, "", nil
}

// podmanOutput runs c with its stdout in a file: conmon, which podman
// leaves running, would keep a pipe open and the command never return.
func podmanOutput(c *exec.Cmd) (string, error) {
	f, err := os.CreateTemp("", "mydocker-bench-podman-")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	c.Stdout = f
	if err := do(c); err != nil {
		return "", err
	}
	data, err := os.ReadFile(f.Name())
	return string(data), err
}

// cgroupsToMake lists the cgroup directories name that do not exist yet
// in the v1 hierarchies (and v2's), so that what podman creates for its
// conmons can be removed again, while what was there before stays.
func cgroupsToMake(name string) []string {
	// Each v1 hierarchy's mount point, and the root for cgroup v2 (a
	// pattern ending in "/" would match nothing: Glob lists no entry "").
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*")
	dirs = append(dirs, "/sys/fs/cgroup")
	var out []string
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); os.IsNotExist(err) {
			out = append(out, p)
		}
	}
	return out
}

// removeCgroups removes the cgroups that podman made where there were
// none, deepest first; one still in use (another user's podman started
// since) stays.
func removeCgroups(dirs []string) {
	for _, d := range dirs {
		if _, err := os.Stat(d); err != nil {
			continue
		}
		var all []string
		filepath.WalkDir(d, func(p string, de os.DirEntry, err error) error { //nolint:errcheck // best effort
			if err == nil && de.IsDir() {
				all = append(all, p)
			}
			return nil
		})
		sort.Slice(all, func(i, j int) bool { return len(all[i]) > len(all[j]) })
		for _, p := range all {
			if err := unix.Rmdir(p); err != nil {
				fmt.Fprintf(os.Stderr, "bench: leaving cgroup %s: %v\n", p, err)
			}
		}
	}
}

// unmountUnder detaches every mount under dir, deepest first.
func unmountUnder(dir string) error {
	mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		return err
	}
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i].Mountpoint) > len(mounts[j].Mountpoint) })
	for _, m := range mounts {
		if err := unix.Unmount(m.Mountpoint, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
			return fmt.Errorf("unmount %s: %v", m.Mountpoint, err)
		}
	}
	return nil
}

// ipamRow times one persisted allocation in a network with ipamN
// addresses taken against one in an empty network, through the network
// store's API as run and rm use it (lock, pool read, allocation, atomic
// write). The networks are real (a bridge each, made by the store) on
// random /22s, so they stay clear of everyone else's subnets.
func ipamRow(e *env) (row, error) {
	s := network.NewStore(filepath.Join(e.work, "ipam"))
	var made []string
	clean := func() error {
		var errs []string
		for _, name := range made {
			if err := s.RemoveFreeing(name, func(string) bool { return true }); err != nil {
				errs = append(errs, err.Error())
			}
		}
		made = nil
		if len(errs) > 0 {
			return fmt.Errorf("ipam networks: %s", strings.Join(errs, "; "))
		}
		return nil
	}
	e.cl.push(clean)
	prefix := 22
	for size := 1 << (32 - prefix); size-3 < *ipamN+1; size <<= 1 {
		prefix--
	}
	for _, name := range []string{"bench-empty", "bench-full"} {
		if err := createRandomSubnet(s, name, prefix); err != nil {
			return row{}, err
		}
		made = append(made, name)
	}
	for i := 0; i < *ipamN; i++ {
		if interrupted.Load() {
			return row{}, errInterrupted
		}
		if _, _, err := s.Allocate("bench-full", randomID(), nil); err != nil {
			return row{}, err
		}
	}
	var full, empty []time.Duration
	for i := 0; i < *n; i++ {
		for j := 0; j < 2; j++ {
			name, to := "bench-full", &full
			if (i+j)%2 == 1 {
				name, to = "bench-empty", &empty
			}
			id := randomID()
			start := time.Now()
			_, _, err := s.Allocate(name, id, nil)
			d := time.Since(start)
			if err != nil {
				return row{}, err
			}
			if err := s.Release(id); err != nil {
				return row{}, err
			}
			*to = append(*to, d)
		}
	}
	if err := clean(); err != nil {
		return row{}, err
	}
	return timeRow(7, fmt.Sprintf("allocate an address, %d taken", *ipamN), median(full), median(empty),
		"an empty network (same tool)", ratioAtMost(1.2),
		fmt.Sprintf("network.Store.Allocate (lock, pool, persisted write) in a /%d with %d addresses taken, against an empty one",
			prefix, *ipamN)), nil
}

// createRandomSubnet creates network name on a random 10.x.y.0/prefix in
// the upper half of 10/8, trying again when the subnet is taken.
func createRandomSubnet(s *network.Store, name string, prefix int) error {
	var last error
	for try := 0; try < 20; try++ {
		v := uint32(10)<<24 | uint32(128+rand.IntN(126))<<16 | uint32(rand.IntN(256))<<8
		v &^= 1<<(32-prefix) - 1
		subnet := fmt.Sprintf("%s/%d", net.IPv4(byte(v>>24), byte(v>>16), byte(v>>8), byte(v)), prefix)
		if _, err := s.Create(name, "bridge", subnet); err != nil {
			last = err
			continue
		}
		return nil
	}
	return fmt.Errorf("create network %s: %v", name, last)
}

// randomID is a container ID as mydocker makes them: 64 hex digits.
func randomID() string {
	var b [32]byte
	if _, err := cryptorand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b[:])
}

// waitUnused waits until no process names dir on its command line (a
// podman or conmon working on the storage under it), for at most timeout.
func waitUnused(dir string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		pid := processNaming(dir)
		if pid == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d still uses %s after %v", pid, dir, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// processNaming returns a process whose command line contains s, or 0.
func processNaming(s string) int {
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range cmdlines {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte(s)) {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err == nil && pid != os.Getpid() {
			return pid
		}
	}
	return 0
}

// removeSettled unmounts and removes dir, again for a few seconds while
// something still adds files or mounts there: each container podman
// removes has a "podman container cleanup" of conmon's still at work in
// the storage after rm returned.
func removeSettled(dir string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := unmountUnder(dir)
		if err == nil {
			err = removeUnmounted(dir)
		}
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}
