package main

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"mydocker/trace"
)

// stepRow is one kernel step of a start, its median over the runs.
type stepRow struct {
	chapter int
	topic   trace.Topic
	step    string // the command with IDs, pids and paths made alike
	median  time.Duration
}

// startSteps runs `--trace run --rm` n times and returns the median of
// each step of the start (up to execve; the teardown is not start time),
// slowest first, the median time the steps add up to and the median time
// of the whole command.
func startSteps(n int, md func(...string) *exec.Cmd, args ...string) ([]stepRow, stepTotals, error) {
	times := map[string][]time.Duration{}
	rows := map[string]*stepRow{}
	var totals, walls []time.Duration
	for i := 0; i < n; i++ {
		c := md(append([]string{"--trace", "run", "--rm"}, args...)...)
		var stderr bytes.Buffer
		c.Stderr = &stderr
		start := time.Now()
		err := c.Run()
		walls = append(walls, time.Since(start))
		if err != nil {
			return nil, stepTotals{}, fmt.Errorf("%s: %v: %s", strings.Join(c.Args, " "), err, stderr.String())
		}
		steps, err := startOf(&stderr)
		if err != nil {
			return nil, stepTotals{}, err
		}
		// A step done several times in one start (a cgroup file per
		// hierarchy) counts once with their sum.
		per := map[string]time.Duration{}
		var total time.Duration
		for _, s := range steps {
			key := string(s.Topic) + " " + stepKey(s.Cmd)
			per[key] += s.Duration
			total += s.Duration
			if rows[key] == nil {
				rows[key] = &stepRow{chapter: trace.ChapterOf(s.Topic).Number, topic: s.Topic, step: stepKey(s.Cmd)}
			}
		}
		for k, d := range per {
			times[k] = append(times[k], d)
		}
		totals = append(totals, total)
	}
	out := make([]stepRow, 0, len(rows))
	for k, r := range rows {
		// A step missing from some runs took no time in those.
		ts := append(times[k], make([]time.Duration, n-len(times[k]))...)
		r.median = median(ts)
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].median > out[j].median })
	return out, stepTotals{steps: median(totals), wall: median(walls)}, nil
}

// stepSection is one "where start time goes" section: a traced start.
type stepSection struct {
	title  string
	rows   []stepRow
	totals stepTotals
}

// stepTotals are the medians of a traced start: its steps' sum, and the
// whole command (starting our processes, the Go runtime, the teardown).
type stepTotals struct{ steps, wall time.Duration }

// startOf parses the trace lines of one run up to its execve.
func startOf(r io.Reader) ([]trace.Step, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var steps []trace.Step
	for _, line := range strings.Split(string(data), "\n") {
		s, _, ok := trace.Parse(line)
		if !ok {
			continue
		}
		steps = append(steps, s)
		if strings.HasPrefix(s.Cmd, "execve(") {
			return steps, nil
		}
	}
	return nil, fmt.Errorf("no execve in the trace:\n%s", data)
}

var (
	hexID = regexp.MustCompile(`[0-9a-f]{11,64}`)
	pids  = regexp.MustCompile(`\b\d{2,}\b`)
	paths = regexp.MustCompile(`/[^\s,=:]*?/(overlay2|containers|layers)/`)
)

// stepKey is a step's command with what differs between runs (IDs, pids,
// the state root) replaced, cut to a readable length.
func stepKey(cmd string) string {
	k := hexID.ReplaceAllString(cmd, "<id>")
	k = paths.ReplaceAllString(k, "<root>/$1/")
	k = pids.ReplaceAllString(k, "N")
	if len(k) > 72 {
		k = k[:69] + "..."
	}
	return k
}

// printSteps is the "where start time goes" section.
func printSteps(title string, rows []stepRow, totals stepTotals, top int) {
	total := totals.wall
	fmt.Printf("\nwhere start time goes: %s\nmedian per step over %d runs; the kernel steps of the start add up to %s of the command's %s\n"+
		"(the rest: starting mydocker and init, the Go runtime, waiting on each other, the teardown)\n\n", title, *n, ms(totals.steps), ms(total))
	w := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "chapter\tstep\tmedian\tshare")
	byChapter := map[int]time.Duration{}
	for _, r := range rows {
		byChapter[r.chapter] += r.median
	}
	for i, r := range rows {
		if i == top {
			fmt.Fprintf(w, "\t(%d more steps)\t\t\n", len(rows)-top)
			break
		}
		fmt.Fprintf(w, "ch.%d %s\t%s\t%s\t%s\n", r.chapter, r.topic, r.step, ms(r.median), share(r.median, total))
	}
	w.Flush()
	chapters := make([]int, 0, len(byChapter))
	for c := range byChapter {
		chapters = append(chapters, c)
	}
	sort.Ints(chapters)
	fmt.Print("\nby chapter:")
	for _, c := range chapters {
		fmt.Printf("  ch.%d %s", c, ms(byChapter[c]))
	}
	fmt.Println()
}

func share(d, total time.Duration) string {
	if total <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(d)/float64(total))
}
