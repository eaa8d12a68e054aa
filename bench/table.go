package main

// The result table: one row per figure of issue 18, with the peer it is
// measured against, the ratio, the target and whether it is met. Pure
// code, unit-tested in table_test.go.

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// unit says what a row's values are and how they print.
type unit int

const (
	millis    unit = iota // wall time, in milliseconds
	mebibytes             // resident memory, in MiB
)

func (u unit) format(v float64) string {
	if u == mebibytes {
		return fmt.Sprintf("%.1f MiB", v)
	}
	return fmt.Sprintf("%.1f ms", v)
}

// target is what a row must reach: a ratio to its peer at most max, or,
// when absolute, a value of mydocker's own at most max. A zero max is no
// target (an extra row shown for context).
type target struct {
	max      float64
	absolute bool
}

func ratioAtMost(max float64) target    { return target{max: max} }
func absoluteAtMost(max float64) target { return target{max: max, absolute: true} }

// row is one line of the table.
type row struct {
	num  int // the figure's place in the table (rows sort by it)
	what string
	unit unit
	mine float64
	// peer names what mine is compared with (a tool, or mydocker itself
	// in another setting); theirs is its value, valid when measured.
	peer     string
	theirs   float64
	measured bool
	target   target
	// note says how the row was measured, or why the peer has no value.
	note string
}

// timeRow is a row of two durations, both measured.
func timeRow(num int, what string, mine, theirs time.Duration, peer string, t target, note string) row {
	return row{num: num, what: what, unit: millis, mine: msOf(mine), peer: peer, theirs: msOf(theirs), measured: true, target: t, note: note}
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ratio is mine over theirs, rounded to the two decimals it prints with,
// so the verdict agrees with the ratio shown; ok is false when there is
// no peer value to divide by.
func (r row) ratio() (float64, bool) {
	if !r.measured || r.theirs <= 0 {
		return 0, false
	}
	return math.Round(100*r.mine/r.theirs) / 100, true
}

// verdict is "ok" when the target is met, "MISSED" when not, "-" when
// the row has no target or its peer could not be measured.
func (r row) verdict() string {
	if r.target.max == 0 {
		return "-"
	}
	v := r.mine
	if !r.target.absolute {
		q, ok := r.ratio()
		if !ok {
			return "-"
		}
		v = q
	} else {
		// Compare what is printed: a value shown as 2.0 MiB meets 2 MiB.
		v = math.Round(10*v) / 10
	}
	if v <= r.target.max {
		return "ok"
	}
	return "MISSED"
}

// cells are the row's columns as printed.
func (r row) cells() []string {
	peer, theirs, ratio, tgt := "-", "-", "-", "-"
	if r.peer != "" {
		peer = r.peer
	}
	if r.measured {
		theirs = r.unit.format(r.theirs)
	}
	if q, ok := r.ratio(); ok {
		ratio = fmt.Sprintf("%.2fx", q)
	}
	switch {
	case r.target.max == 0:
	case r.target.absolute:
		tgt = "<= " + r.unit.format(r.target.max)
	default:
		tgt = fmt.Sprintf("<= %.2fx", r.target.max)
	}
	return []string{r.what, r.unit.format(r.mine), peer, theirs, ratio, tgt, r.verdict()}
}

// writeTable prints the rows under a header, then each row's note,
// numbered, so the table stays narrow.
func writeTable(out io.Writer, rows []row) error {
	w := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "measurement\tmydocker\tpeer\tpeer value\tratio\ttarget\tverdict")
	var notes []string
	for _, r := range rows {
		c := r.cells()
		if r.note != "" {
			notes = append(notes, r.note)
			c[0] = fmt.Sprintf("%s [%d]", c[0], len(notes))
		}
		fmt.Fprintln(w, strings.Join(c, "\t"))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(notes) > 0 {
		fmt.Fprintln(out)
	}
	for i, n := range notes {
		if _, err := fmt.Fprintf(out, "[%d] %s\n", i+1, n); err != nil {
			return err
		}
	}
	return nil
}

// missed counts the rows whose target is not met.
func missed(rows []row) int {
	k := 0
	for _, r := range rows {
		if r.verdict() == "MISSED" {
			k++
		}
	}
	return k
}

// median is the middle value (the mean of the two middle ones for an
// even count), zero for none; ts is left as it was.
func median[T time.Duration | int | float64](ts []T) T {
	if len(ts) == 0 {
		return 0
	}
	s := append([]T(nil), ts...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
