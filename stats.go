package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"github.com/urfave/cli"

	"mydocker/cgroups"
	"mydocker/container"
	"mydocker/utils"
)

var statsCommand = cli.Command{
	Name:      "stats",
	Usage:     "show CPU, memory, network, block I/O and process use of running containers",
	ArgsUsage: "[CONTAINER...]",
	Flags: []cli.Flag{
		cli.BoolFlag{Name: "no-stream", Usage: "print one sample and exit"},
	},
	Action: statsAction,
}

// statsTarget is one container being sampled: its last two readings.
type statsTarget struct {
	rec           *container.Record
	cg            cgroups.Manager
	prev, cur     *cgroups.Stats
	prevAt, curAt time.Time
	net           netIO // the container's interfaces, lo left out
}

// netIO is what a container's network interfaces received and sent.
type netIO struct{ rx, tx uint64 }

func statsAction(ctx *cli.Context) error {
	store := container.NewStore(root(ctx))
	var recs []*container.Record
	if ctx.NArg() == 0 {
		all, errs := store.List()
		for _, err := range errs {
			log.Warn(err)
		}
		for _, rec := range all {
			rec = store.Settle(rec)
			if rec.State.Status == container.StatusRunning {
				recs = append(recs, rec)
			}
		}
	} else {
		for _, ref := range ctx.Args() {
			rec, err := runningContainer(store, ref)
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
	}
	targets := make([]*statsTarget, 0, len(recs))
	for _, rec := range recs {
		cg, err := cgroups.New(rec.ID, rec.CgroupManager)
		if err != nil {
			return err
		}
		targets = append(targets, &statsTarget{rec: rec, cg: cg})
	}
	clear := !ctx.Bool("no-stream") && utils.IsTerminal(os.Stdout)
	// CPU % needs two samples: take the first, wait, then print each second.
	sample(targets)
	for {
		time.Sleep(time.Second)
		sample(targets)
		if clear {
			fmt.Print("\033[2J\033[H")
		}
		if err := printStats(os.Stdout, targets); err != nil {
			return err
		}
		if ctx.Bool("no-stream") {
			return nil
		}
	}
}

// sample reads each target's cgroup, keeping the previous reading for rates.
func sample(targets []*statsTarget) {
	for _, t := range targets {
		st, err := t.cg.Stats()
		if err != nil {
			log.Debugf("stats of %s: %v", t.rec.Name, err)
			st = nil // exited meanwhile
		}
		t.prev, t.prevAt = t.cur, t.curAt
		t.cur, t.curAt = st, time.Now()
		// A network namespace is no cgroup: /proc/<pid>/net/dev is the
		// interface table of the namespace pid is in, the container's.
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/dev", t.rec.State.Pid))
		if err != nil || !t.rec.State.Alive() {
			log.Debugf("network stats of %s: %v", t.rec.Name, err)
			t.net = netIO{}
			continue
		}
		t.net = parseNetDev(string(data))
	}
}

// parseNetDev sums the received and sent bytes of /proc/net/dev over every
// interface but lo, whose traffic never leaves the container.
func parseNetDev(s string) netIO {
	var n netIO
	for _, line := range strings.Split(s, "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "lo" {
			continue
		}
		// Receive: bytes packets errs drop fifo frame compressed
		// multicast; then transmit: bytes ...
		f := strings.Fields(rest)
		if len(f) < 9 {
			continue
		}
		rx, err1 := strconv.ParseUint(f[0], 10, 64)
		tx, err2 := strconv.ParseUint(f[8], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		n.rx += rx
		n.tx += tx
	}
	return n
}

func printStats(out io.Writer, targets []*statsTarget) error {
	w := tabwriter.NewWriter(out, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "CONTAINER ID\tNAME\tCPU %\tMEM USAGE / LIMIT\tMEM %\tNET I/O\tBLOCK I/O\tPIDS")
	for _, t := range targets {
		if t.prev == nil || t.cur == nil || t.cur.CPUUsageNs < t.prev.CPUUsageNs {
			fmt.Fprintf(w, "%s\t%s\t--\t-- / --\t--\t-- / --\t-- / --\t--\n", utils.ShortID(t.rec.ID), t.rec.Name)
			continue
		}
		// 100% is one CPU busy for the whole interval, as Docker shows it.
		cpu := float64(t.cur.CPUUsageNs-t.prev.CPUUsageNs) / float64(t.curAt.Sub(t.prevAt).Nanoseconds()) * 100
		mem := 0.0
		if t.cur.MemoryLimit > 0 {
			mem = float64(t.cur.MemoryUsage) / float64(t.cur.MemoryLimit) * 100
		}
		fmt.Fprintf(w, "%s\t%s\t%.2f%%\t%s / %s\t%.2f%%\t%s / %s\t%s / %s\t%d\n", utils.ShortID(t.rec.ID), t.rec.Name, cpu,
			binarySize(t.cur.MemoryUsage), binarySize(t.cur.MemoryLimit), mem,
			ioSize(t.net.rx), ioSize(t.net.tx), ioSize(t.cur.BlockRead), ioSize(t.cur.BlockWrite),
			t.cur.Pids)
	}
	return errors.Wrap(w.Flush(), "write stats")
}

// ioSize prints bytes of I/O as Docker's stats does: decimal units, three
// significant digits (1.23kB).
func ioSize(n uint64) string { return utils.DecimalSize(int64(n), "%.3g") }

// binarySize prints bytes as Docker's stats does (KiB, MiB, GiB).
func binarySize(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.4g%s", f, units[i])
}
