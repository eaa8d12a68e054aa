// Command bench measures every target of issue 18 side by side with its
// peer on the same machine, in one run, and prints one table: the
// figure, mydocker's value, the peer's, the ratio, the target and
// whether it is met. `make bench` runs it; it needs root, the busybox
// image script and Debian's runc, docker-registry, skopeo and podman
// (`make deps`).
//
// Each timing is a median over repeated runs, the tools alternating, so
// drift in the machine's load hits both alike. -what selects a part:
// start (start, exec, parallel starts, a big image), scale (idle monitor
// memory, 100 containers present, IPAM with 1,000 addresses) or pull.
//
// Everything it makes (containers, runc containers, podman storage,
// bridges, the registry) is removed at its end, also when a step fails
// or it is interrupted. It exits 0 when a target is missed (the verdict
// column says so) and non-zero when a measurement itself fails.
package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	bin      = flag.String("mydocker", "./mydocker", "mydocker binary")
	n        = flag.Int("n", 30, "repetitions per timed measurement")
	parallel = flag.Int("parallel", 20, "containers started at once (and in a row)")
	bigMB    = flag.Int("big", 200, "size of the big image in MB")
	walls    = flag.Int("walls", 5, "rounds of the parallel and sequential wall times")

	idle    = flag.Int("idle", 50, "idle detached containers whose monitors' memory is measured")
	present = flag.Int("present", 100, "containers present (half running) for ps and run at scale")
	ipamN   = flag.Int("ipam", 1000, "addresses allocated in the full network for the IPAM figure")

	what       = flag.String("what", "all", "which part: start, pull, scale or all")
	pullMB     = flag.Int("pull-mb", 100, "size of the pulled image's random layers in MB")
	pullLayers = flag.Int("pull-layers", 4, "random layers of the pulled image (on top of busybox)")
	rounds     = flag.Int("rounds", 5, "pulls per tool (each into fresh storage)")
)

func main() {
	flag.Parse()
	watchSignals()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// interrupted is set by SIGINT, SIGTERM or SIGHUP: the next command then
// fails, so the run unwinds through its cleanups instead of dying with
// containers left behind. (The signal is caught, not ignored: ignored
// signals would stay ignored in the tools it starts.) SIGPIPE too: with
// stdout piped to head, printing the table would otherwise kill the
// benchmark before its cleanups; caught, the write fails instead.
var interrupted atomic.Bool

func watchSignals() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	go func() {
		for s := range ch {
			interrupted.Store(true)
			fmt.Fprintf(os.Stderr, "bench: %v: stopping after the current step, then cleaning up\n", s)
		}
	}()
}

var errInterrupted = errors.New("interrupted")

// cleanups is a stack of undo steps, run last first; every failure is
// kept, so one stuck step does not stop the others.
type cleanups []func() error

func (c *cleanups) push(f func() error) { *c = append(*c, f) }

func (c *cleanups) run() error {
	var errs []error
	for i := len(*c) - 1; i >= 0; i-- {
		if err := (*c)[i](); err != nil {
			errs = append(errs, err)
		}
	}
	*c = nil
	if len(errs) > 0 {
		return fmt.Errorf("cleanup: %w", errors.Join(errs...))
	}
	return nil
}

// env is what the parts share.
type env struct {
	work string
	root string // mydocker's state root, with the busybox image
	md   func(args ...string) *exec.Cmd
	runc *runcTool // nil for -what pull
	cl   *cleanups
}

func run() (err error) {
	if os.Geteuid() != 0 {
		return fmt.Errorf("must run as root")
	}
	parts := map[string]bool{}
	switch *what {
	case "all":
		parts = map[string]bool{"start": true, "scale": true, "pull": true}
	case "start", "scale", "pull":
		parts[*what] = true
	default:
		return fmt.Errorf("-what %q: want start, pull, scale or all", *what)
	}
	if *n < 1 || *rounds < 1 || *walls < 1 || *idle < 1 || *present < 2 || *ipamN < 0 {
		return fmt.Errorf("-n, -rounds, -walls and -idle must be at least 1, -present at least 2")
	}
	self, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	*bin = self
	work, err := os.MkdirTemp("", "mydocker-bench-")
	if err != nil {
		return err
	}
	var cl cleanups
	defer func() { err = errors.Join(err, cl.run()) }()
	// Last of all: the work directory, unless a mount is left in it
	// (then it says where, rather than delete through it).
	cl.push(func() error { return removeUnmounted(work) })

	e := &env{work: work, root: filepath.Join(work, "root"), cl: &cl}
	e.md = mdAt(e.root)
	fmt.Fprintf(os.Stderr, "bench: working in %s; containers here join the default bridge network: its bridge and NAT "+
		"rules exist until the benchmark ends (then removed)\n", work)
	cl.push(func() error { return removeContainers(e.root) })
	if out, err := exec.Command("sh", "scripts/make-busybox-image.sh", e.root).CombinedOutput(); err != nil {
		return fmt.Errorf("busybox image: %v: %s", err, out)
	}
	if parts["start"] || parts["scale"] {
		if e.runc, err = newRunc(work, filepath.Join(e.root, "image", "busybox.tar")); err != nil {
			return err
		}
		cl.push(e.runc.cleanup)
	}

	var rows []row
	var sections []stepSection
	started := time.Now()
	if parts["start"] {
		rs, ss, err := startBench(e)
		if err != nil {
			return fmt.Errorf("start: %w", err)
		}
		rows, sections = append(rows, rs...), ss
	}
	if parts["scale"] {
		rs, err := scaleBench(e)
		if err != nil {
			return fmt.Errorf("scale: %w", err)
		}
		rows = append(rows, rs...)
	}
	if parts["pull"] {
		rs, err := pullBench(work, *rounds)
		if err != nil {
			return fmt.Errorf("pull: %w", err)
		}
		rows = append(rows, rs...)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].num < rows[j].num })

	fmt.Println(machineLine(parts, started))
	var how []string
	if parts["start"] || parts["scale"] {
		how = append(how, fmt.Sprintf("timings: medians of %d runs, the tools alternating", *n))
	}
	if parts["start"] {
		how = append(how, fmt.Sprintf("wall times: medians of %d rounds", *walls))
	}
	if parts["pull"] {
		how = append(how, fmt.Sprintf("pulls: medians of %d rounds", *rounds))
	}
	fmt.Printf("%s\n\n", strings.Join(how, "; "))
	if err := writeTable(stdout, rows); err != nil {
		return err
	}
	if k := missed(rows); k > 0 {
		fmt.Printf("\n%d of %d targets MISSED\n", k, countTargets(rows))
	} else {
		fmt.Printf("\nall %d targets met\n", countTargets(rows))
	}
	for _, s := range sections {
		printSteps(s.title, s.rows, s.totals, 15)
	}
	return nil
}

func countTargets(rows []row) int {
	k := 0
	for _, r := range rows {
		if r.target.max != 0 {
			k++
		}
	}
	return k
}

// machineLine says where and when the figures were taken, with the
// versions of the peers they are compared with.
func machineLine(parts map[string]bool, at time.Time) string {
	host, _ := os.Hostname()
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	s := fmt.Sprintf("machine: %s, %d CPUs, kernel %s; %s", host, runtime.NumCPU(), strings.TrimSpace(string(kernel)),
		at.UTC().Format("2006-01-02 15:04 UTC"))
	var tools [][]string
	if parts["start"] || parts["scale"] {
		tools = append(tools, []string{"runc", "--version"})
	}
	if parts["scale"] {
		tools = append(tools, []string{"podman", "--version"}, []string{"conmon", "--version"})
	}
	if parts["pull"] {
		tools = append(tools, []string{"skopeo", "--version"}, []string{"podman", "--version"})
	}
	seen := map[string]bool{}
	for _, t := range tools {
		if seen[t[0]] {
			continue
		}
		seen[t[0]] = true
		if out, err := exec.Command(t[0], t[1:]...).Output(); err == nil {
			s += "; " + strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
		} else {
			s += "; " + t[0] + " missing"
		}
	}
	return s
}

// mdAt runs mydocker on state root root, its output kept for errors.
func mdAt(root string) func(args ...string) *exec.Cmd {
	return func(args ...string) *exec.Cmd {
		return quiet(exec.Command(*bin, append([]string{"--root", root}, args...)...))
	}
}

// quiet sends c's stdout away and keeps its stderr for the error.
func quiet(c *exec.Cmd) *exec.Cmd {
	c.Stdout, c.Stderr = io.Discard, &bytes.Buffer{}
	return c
}

// cmdErr is c's failure with what it said on stderr.
func cmdErr(c *exec.Cmd, err error) error {
	msg := ""
	if b, ok := c.Stderr.(*bytes.Buffer); ok {
		msg = strings.TrimSpace(b.String())
	}
	return fmt.Errorf("%s: %v: %s", strings.Join(c.Args, " "), err, msg)
}

// do runs c, failing with its stderr.
func do(c *exec.Cmd) error {
	if interrupted.Load() {
		return errInterrupted
	}
	if err := c.Run(); err != nil {
		return cmdErr(c, err)
	}
	return nil
}

// output runs c and returns its stdout.
func output(c *exec.Cmd) (string, error) {
	var out bytes.Buffer
	c.Stdout = &out
	err := do(c)
	return out.String(), err
}

// timeCmd runs c and returns its wall time.
func timeCmd(c *exec.Cmd) (time.Duration, error) {
	if interrupted.Load() {
		return 0, errInterrupted
	}
	start := time.Now()
	err := c.Run()
	d := time.Since(start)
	if err != nil {
		return 0, cmdErr(c, err)
	}
	return d, nil
}

// alternate runs the commands each makes in turn, n rounds, and returns
// each one's median; the order rotates each round, so none always runs
// right after another's teardown.
func alternate(n int, mks ...func(i int) *exec.Cmd) ([]time.Duration, error) {
	ts := make([][]time.Duration, len(mks))
	for i := 0; i < n; i++ {
		for j := range mks {
			k := (i + j) % len(mks)
			d, err := timeCmd(mks[k](i))
			if err != nil {
				return nil, err
			}
			ts[k] = append(ts[k], d)
		}
	}
	out := make([]time.Duration, len(mks))
	for k := range ts {
		out[k] = median(ts[k])
	}
	return out, nil
}

// removeContainers removes every container of state root root and its
// default network, if any: what a benchmark left there. It runs even
// after an interrupt.
func removeContainers(root string) error {
	md := mdAt(root)
	ps := md("ps", "-a", "-q", "--no-trunc")
	var out bytes.Buffer
	ps.Stdout = &out
	if err := ps.Run(); err != nil {
		return cmdErr(ps, err)
	}
	if ids := strings.Fields(out.String()); len(ids) > 0 {
		if rm := md(append([]string{"rm", "-f"}, ids...)...); rm.Run() != nil {
			return cmdErr(rm, errors.New("failed"))
		}
	}
	rm := md("network", "rm", "bridge")
	if err := rm.Run(); err != nil && !strings.Contains(rm.Stderr.(*bytes.Buffer).String(), "no such network") {
		return cmdErr(rm, err)
	}
	return nil
}

// stdout is where the report goes.
var stdout io.Writer = os.Stdout

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// appendRandomFile copies the tar src to dst and appends /bigfile of size
// random bytes.
func appendRandomFile(dst io.Writer, src io.Reader, size int64) error {
	return copyTarWithExtra(dst, src, "bigfile", size, rand.Reader)
}

// outputAlways is output for cleanups: it runs even after an interrupt.
func outputAlways(c *exec.Cmd) (string, error) {
	var out bytes.Buffer
	c.Stdout = &out
	if err := c.Run(); err != nil {
		return "", cmdErr(c, err)
	}
	return out.String(), nil
}
