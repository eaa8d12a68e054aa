package main

// The start part: run --rm with no network and with the default bridge
// network against runc run, exec against runc exec, parallel against
// sequential starts, a 200 MB image against busybox; and the traced
// starts of "where start time goes".

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

func startBench(e *env) ([]row, []stepSection, error) {
	fmt.Fprintln(os.Stderr, "bench: start: preparing the big image, warming up ...")
	if err := makeBigImage(e.root, *bigMB); err != nil {
		return nil, nil, err
	}
	// Warm up: make both images' layers (a blog tar becomes a layer on
	// first use) and fault in the binaries; the default network is made
	// on first use too.
	for _, c := range []*exec.Cmd{e.md("run", "--rm", "busybox", "true"), e.md("run", "--rm", "big", "true"),
		e.md("run", "--rm", "--network", "none", "busybox", "true"), e.runc.run("warm-up")} {
		if err := do(c); err != nil {
			return nil, nil, fmt.Errorf("warm-up: %w", err)
		}
	}
	var rows []row

	// 1 and 2: run --rm, without and with the default network, against
	// runc run of the same rootfs (runc's default: no network).
	fmt.Fprintln(os.Stderr, "bench: start: run --rm against runc run ...")
	t, err := alternate(*n,
		func(int) *exec.Cmd { return e.md("run", "--rm", "--network", "none", "busybox", "true") },
		func(int) *exec.Cmd { return e.md("run", "--rm", "busybox", "true") },
		func(i int) *exec.Cmd { return e.runc.run(fmt.Sprintf("run-%d", i)) })
	if err != nil {
		return nil, nil, err
	}
	rows = append(rows,
		timeRow(1, "run --rm --network none busybox true", t[0], t[2], "runc run", ratioAtMost(0.50), ""),
		timeRow(2, "run --rm busybox true (default bridge)", t[1], t[2], "runc run", ratioAtMost(0.75),
			"runc run has no network (its default: a namespace with only lo); the three commands alternate"))

	// 3: exec into a running container.
	fmt.Fprintln(os.Stderr, "bench: start: exec against runc exec ...")
	r, err := execRow(e)
	if err != nil {
		return nil, nil, err
	}
	rows = append(rows, r)

	// 5: many starts at once against the same in a row.
	fmt.Fprintf(os.Stderr, "bench: start: %d run --rm in parallel and in a row ...\n", *parallel)
	var par, seq []time.Duration
	mk := func(int) *exec.Cmd { return e.md("run", "--rm", "busybox", "true") }
	for i := 0; i < *walls; i++ {
		p, err := wall(*parallel, mk)
		if err != nil {
			return nil, nil, err
		}
		s, err := sequential(*parallel, mk)
		if err != nil {
			return nil, nil, err
		}
		par, seq = append(par, p), append(seq, s)
	}
	rows = append(rows, timeRow(5, fmt.Sprintf("%d run --rm busybox true at once (wall)", *parallel), median(par), median(seq),
		fmt.Sprintf("the %d in a row", *parallel), ratioAtMost(0.60),
		fmt.Sprintf("same tool: wall time of %d started together against %d one after another, medians of %d rounds on %d CPUs",
			*parallel, *parallel, *walls, runtime.NumCPU())))

	// 9: a big image starts as fast as a small one: nothing is unpacked
	// or copied per run.
	fmt.Fprintf(os.Stderr, "bench: start: a %d MB image against busybox ...\n", *bigMB)
	if t, err = alternate(*n,
		func(int) *exec.Cmd { return e.md("run", "--rm", "big", "true") },
		func(int) *exec.Cmd { return e.md("run", "--rm", "busybox", "true") }); err != nil {
		return nil, nil, err
	}
	rows = append(rows, timeRow(9, fmt.Sprintf("run --rm of a %d MB image", *bigMB), t[0], t[1], "busybox (same tool)",
		ratioAtMost(1.05), "its layer made once beforehand (as a pull or load does); then runs alternate with busybox's"))

	// Where the time goes: the same starts, traced.
	fmt.Fprintln(os.Stderr, "bench: start: traced starts ...")
	var sections []stepSection
	for _, args := range [][]string{
		{"--network", "none", "busybox", "true"},
		{"busybox", "true"},
		{"--network", "bridge", "-m", "64m", "--cpus", "1", "busybox", "true"},
	} {
		steps, totals, err := startSteps(*n, e.md, args...)
		if err != nil {
			return nil, nil, err
		}
		sections = append(sections, stepSection{title: "run --rm " + strings.Join(args, " "), rows: steps, totals: totals})
	}
	return rows, sections, nil
}

// execRow times `exec C true` into a running mydocker container against
// `runc exec` into a running runc container, both running sleep.
func execRow(e *env) (row, error) {
	out, err := output(e.md("run", "-d", "busybox", "sleep", "1000"))
	if err != nil {
		return row{}, err
	}
	id := strings.TrimSpace(out)
	defer e.md("rm", "-f", id).Run() //nolint:errcheck // removeContainers retries at the end
	const rid = "exec-target"
	if err := e.runc.detached("run", rid); err != nil {
		return row{}, err
	}
	defer e.runc.remove(rid) //nolint:errcheck // runc's cleanup retries at the end
	t, err := alternate(*n,
		func(int) *exec.Cmd { return e.md("exec", id, "true") },
		func(int) *exec.Cmd { return e.runc.cmd("exec", rid, "true") })
	if err != nil {
		return row{}, err
	}
	return timeRow(3, "exec C true", t[0], t[1], "runc exec", ratioAtMost(0.40),
		"into a running container (sleep) of each tool, started with run -d and runc run -d"), nil
}

// wall starts k commands at once and returns the time until all are done.
func wall(k int, mk func(int) *exec.Cmd) (time.Duration, error) {
	if interrupted.Load() {
		return 0, errInterrupted
	}
	cmds := make([]*exec.Cmd, k)
	for i := range cmds {
		cmds[i] = mk(i)
	}
	errs := make([]error, k)
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Run(); err != nil {
				errs[i] = cmdErr(c, err)
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	return d, errors.Join(errs...)
}

// sequential runs k commands one after another and returns the time
// from the first's start to the last's end.
func sequential(k int, mk func(int) *exec.Cmd) (time.Duration, error) {
	start := time.Now()
	for i := 0; i < k; i++ {
		if err := do(mk(i)); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
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
	if err := appendRandomFile(dst, src, int64(mb)<<20); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
