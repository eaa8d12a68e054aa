// Command bench measures mydocker side by side with its peers on the same
// machine, in one run, as medians over repeated runs, and prints a table
// with ratios: container start against runc, and pulling a multi-layer
// image from a local registry against skopeo and podman (pull.go). `make
// bench` runs it; it needs root, the busybox image script and Debian's
// runc, docker-registry, skopeo and podman (`make deps`).
//
// Each measurement runs the tools alternately, so drift in the machine's
// load affects all alike.
package main

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

var (
	bin      = flag.String("mydocker", "./mydocker", "mydocker binary")
	n        = flag.Int("n", 30, "repetitions per measurement")
	parallel = flag.Int("parallel", 20, "containers started at once")
	bigMB    = flag.Int("big", 200, "size of the big image in MB")

	what       = flag.String("what", "all", "which benchmarks: start, pull or all")
	pullMB     = flag.Int("pull-mb", 100, "size of the pulled image's random layers in MB")
	pullLayers = flag.Int("pull-layers", 4, "random layers of the pulled image (on top of busybox)")
	rounds     = flag.Int("rounds", 5, "pulls per tool (each into fresh storage)")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// row is one line of the result table.
type row struct {
	what         string
	mine, theirs time.Duration // medians; theirs is zero when there is no counterpart
	note         string
}

func run() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("must run as root")
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
	defer os.RemoveAll(work)
	root := filepath.Join(work, "root")
	md := func(args ...string) *exec.Cmd {
		c := exec.Command(*bin, append([]string{"--root", root}, args...)...)
		c.Stderr = os.Stderr
		return c
	}
	defer cleanup(md)

	if out, err := exec.Command("sh", "scripts/make-busybox-image.sh", root).CombinedOutput(); err != nil {
		return fmt.Errorf("busybox image: %v: %s", err, out)
	}
	var rows []row
	rss := -1
	var steps, netSteps []stepRow
	var stepsTotal, netTotal stepTotals
	switch *what {
	case "start", "all":
		if rows, rss, err = startBench(work, md); err != nil {
			return err
		}
		// The same starts, traced: which kernel steps the time goes to.
		if steps, stepsTotal, err = startSteps(*n, md, "--network", "none", "busybox", "true"); err != nil {
			return err
		}
		if netSteps, netTotal, err = startSteps(*n, md, "--network", "bridge", "-m", "64m", "--cpus", "1", "busybox", "true"); err != nil {
			return err
		}
	case "pull":
	default:
		return fmt.Errorf("-what %q: want start, pull or all", *what)
	}
	if *what != "start" {
		pull, err := pullBench(work, *rounds)
		if err != nil {
			return err
		}
		rows = append(rows, pull...)
	}
	printTable(rows, rss)
	if steps != nil {
		printSteps("run --rm --network none busybox true", steps, stepsTotal, 15)
		printSteps("run --rm --network bridge -m 64m --cpus 1 busybox true", netSteps, netTotal, 15)
	}
	return nil
}

// startBench measures container start against runc.
func startBench(work string, md func(...string) *exec.Cmd) ([]row, int, error) {
	root := filepath.Join(work, "root")
	fmt.Fprintln(os.Stderr, "preparing images and the runc bundle ...")
	// Say what it changes on the host, so nobody finds it by surprise.
	fmt.Fprintf(os.Stderr, "note: containers here join the default bridge network: a bridge and its NAT rules exist "+
		"under %s until the benchmark ends (then removed)\n", root)
	if err := makeBigImage(root, *bigMB); err != nil {
		return nil, 0, err
	}
	bundle := filepath.Join(work, "bundle")
	if err := makeBundle(bundle, filepath.Join(root, "image", "busybox.tar")); err != nil {
		return nil, 0, err
	}
	// Warm up: unpack both images into the cache and fault in the binaries.
	for _, img := range []string{"busybox", "big"} {
		if err := md("run", "--rm", img, "true").Run(); err != nil {
			return nil, 0, fmt.Errorf("warm-up run of %s: %v", img, err)
		}
	}
	runcRun := func(i int) *exec.Cmd {
		c := exec.Command("runc", "run", "--bundle", bundle, fmt.Sprintf("bench-%d-%d", os.Getpid(), i))
		c.Stderr = os.Stderr
		return c
	}
	if err := runcRun(-1).Run(); err != nil {
		return nil, 0, fmt.Errorf("runc run: %v", err)
	}

	var rows []row
	// 1. run --rm true vs runc run
	mine, theirs := alternate(*n, func(int) *exec.Cmd { return md("run", "--rm", "busybox", "true") }, runcRun)
	rows = append(rows, row{what: "run --rm busybox true", mine: mine, theirs: theirs, note: "vs runc run"})

	// 2. run -d + rm -f, per container
	detached := sample(*n, func(int) (time.Duration, error) {
		start := time.Now()
		out, err := md("run", "-d", "busybox", "sleep", "1000").Output()
		if err != nil {
			return 0, err
		}
		id := strings.TrimSpace(string(out))
		if err := md("rm", "-f", id).Run(); err != nil {
			return 0, err
		}
		return time.Since(start), nil
	})
	rows = append(rows, row{what: "run -d + rm -f (per container)", mine: detached})

	// 3. start time with a big image
	big, small := alternate(*n,
		func(int) *exec.Cmd { return md("run", "--rm", "big", "true") },
		func(int) *exec.Cmd { return md("run", "--rm", "busybox", "true") })
	rows = append(rows, row{what: fmt.Sprintf("run --rm with a %d MB image", *bigMB), mine: big, theirs: small,
		note: "vs busybox (same tool)"})

	// 4. many at once
	wallMine := wall(*parallel, func(int) *exec.Cmd { return md("run", "--rm", "busybox", "true") })
	wallRunc := wall(*parallel, func(i int) *exec.Cmd { return runcRun(1000 + i) })
	rows = append(rows, row{what: fmt.Sprintf("%d run --rm in parallel (wall)", *parallel), mine: wallMine, theirs: wallRunc, note: "vs runc run"})

	// 6. with a network and with limits
	netw, _ := alternate(*n, func(int) *exec.Cmd { return md("run", "--rm", "--network", "bridge", "busybox", "true") }, nil)
	rows = append(rows, row{what: "run --rm --network bridge", mine: netw, theirs: theirs, note: "vs runc without network"})
	lim, _ := alternate(*n, func(int) *exec.Cmd { return md("run", "--rm", "-m", "64m", "--cpus", "1", "busybox", "true") }, nil)
	rows = append(rows, row{what: "run --rm -m 64m --cpus 1", mine: lim, theirs: theirs, note: "vs runc without limits"})

	// 5. memory an idle detached container costs: its monitor's RSS
	rss, err := monitorRSS(md, 5)
	if err != nil {
		return nil, 0, err
	}
	return rows, rss, nil
}

// alternate runs a and b in turn n times and returns their medians.
func alternate(n int, a, b func(int) *exec.Cmd) (time.Duration, time.Duration) {
	var ta, tb []time.Duration
	for i := 0; i < n; i++ {
		ta = append(ta, timeCmd(a(i)))
		if b != nil {
			tb = append(tb, timeCmd(b(i)))
		}
	}
	return median(ta), median(tb)
}

func timeCmd(c *exec.Cmd) time.Duration {
	start := time.Now()
	if err := c.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %s: %v\n", strings.Join(c.Args, " "), err)
		os.Exit(1)
	}
	return time.Since(start)
}

func sample(n int, f func(int) (time.Duration, error)) time.Duration {
	var ts []time.Duration
	for i := 0; i < n; i++ {
		d, err := f(i)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		ts = append(ts, d)
	}
	return median(ts)
}

// wall starts k commands at once and returns the time until all are done.
func wall(k int, mk func(int) *exec.Cmd) time.Duration {
	cmds := make([]*exec.Cmd, k)
	for i := range cmds {
		cmds[i] = mk(i)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range cmds {
		wg.Add(1)
		go func(c *exec.Cmd) {
			defer wg.Done()
			if err := c.Run(); err != nil {
				fmt.Fprintf(os.Stderr, "bench: %s: %v\n", strings.Join(c.Args, " "), err)
			}
		}(c)
	}
	wg.Wait()
	return time.Since(start)
}

func median(ts []time.Duration) time.Duration {
	if len(ts) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ts...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// monitorRSS starts k detached containers, lets them settle, and returns
// the median resident memory of their monitors.
func monitorRSS(md func(...string) *exec.Cmd, k int) (int, error) {
	var ids []string
	defer func() {
		if len(ids) > 0 {
			md(append([]string{"rm", "-f"}, ids...)...).Run() //nolint:errcheck // cleanup() retries
		}
	}()
	for i := 0; i < k; i++ {
		out, err := md("run", "-d", "busybox", "sleep", "1000").Output()
		if err != nil {
			return 0, fmt.Errorf("run -d: %v", err)
		}
		ids = append(ids, strings.TrimSpace(string(out)))
	}
	time.Sleep(time.Second)
	var kbs []int
	for _, id := range ids {
		out, err := md("inspect", id).Output()
		if err != nil {
			return 0, err
		}
		var recs []struct{ State struct{ MonitorPid int } }
		if err := json.Unmarshal(out, &recs); err != nil || len(recs) != 1 {
			return 0, fmt.Errorf("inspect %s: %v", id, err)
		}
		kb, err := vmRSS(recs[0].State.MonitorPid)
		if err != nil {
			return 0, err
		}
		kbs = append(kbs, kb)
	}
	sort.Ints(kbs)
	return kbs[len(kbs)/2], nil
}

func vmRSS(pid int) (int, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

// makeBigImage writes the busybox image plus one file of random bytes
// (incompressible, so nothing shortcuts it) as image "big".
func makeBigImage(root string, mb int) error {
	src, err := os.Open(filepath.Join(root, "image", "busybox.tar"))
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(filepath.Join(root, "image", "big.tar"))
	if err != nil {
		return err
	}
	defer dst.Close()
	return appendRandomFile(dst, src, int64(mb)<<20)
}

// makeBundle makes an OCI bundle for runc from the same rootfs tar, with
// the same command and a non-terminal process.
func makeBundle(dir, tarPath string) error {
	rootfs := filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		return err
	}
	if out, err := exec.Command("tar", "-C", rootfs, "-xf", tarPath).CombinedOutput(); err != nil {
		return fmt.Errorf("unpack rootfs for runc: %v: %s", err, out)
	}
	c := exec.Command("runc", "spec")
	c.Dir = dir
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("runc spec (is runc installed?): %v: %s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return err
	}
	var spec map[string]any
	if err := json.Unmarshal(data, &spec); err != nil {
		return err
	}
	proc := spec["process"].(map[string]any)
	proc["terminal"] = false
	proc["args"] = []string{"true"}
	data, err = json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644)
}

func cleanup(md func(...string) *exec.Cmd) {
	if out, err := md("ps", "-a", "-q", "--no-trunc").Output(); err == nil {
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			md(append([]string{"rm", "-f"}, ids...)...).Run() //nolint:errcheck // best effort at exit
		}
	}
	rm := md("network", "rm", "bridge")
	rm.Stderr = nil // it exists only if a benchmark used it
	rm.Run()        //nolint:errcheck // best effort at exit
}

func printTable(rows []row, rssKB int) {
	host, _ := os.Hostname()
	cpus := runtime.NumCPU()
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	runcVersion := "runc"
	if out, err := exec.Command("runc", "--version").Output(); err == nil {
		runcVersion = strings.SplitN(string(out), "\n", 2)[0]
	}
	fmt.Printf("machine: %s, %d CPUs, kernel %s; %s", host, cpus, strings.TrimSpace(string(kernel)), runcVersion)
	if *what != "start" {
		for _, tool := range []string{"skopeo", "podman"} {
			if out, err := exec.Command(tool, "--version").Output(); err == nil {
				fmt.Printf("; %s", strings.TrimSpace(string(out)))
			}
		}
	}
	fmt.Printf("\nmedians: of %d runs for start, of %d rounds for pull\n\n", *n, *rounds)
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "measurement\tmydocker\tother\tratio\tnote")
	for _, r := range rows {
		other, ratio := "-", "-"
		if r.theirs > 0 {
			other = ms(r.theirs)
			ratio = fmt.Sprintf("%.2fx", float64(r.mine)/float64(r.theirs))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.what, ms(r.mine), other, ratio, r.note)
	}
	if rssKB >= 0 {
		fmt.Fprintf(w, "idle detached container (monitor RSS)\t%.1f MiB\t-\t-\trunc has no monitor\n", float64(rssKB)/1024)
	}
	w.Flush()
}

// stdout is where the report goes.
var stdout io.Writer = os.Stdout

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// appendRandomFile copies the tar src to dst and appends /bigfile of size
// random bytes.
func appendRandomFile(dst io.Writer, src io.Reader, size int64) error {
	return copyTarWithExtra(dst, src, "bigfile", size, rand.Reader)
}
