package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    row
		want string
	}{
		{"ratio met", row{mine: 10, theirs: 20, measured: true, target: ratioAtMost(0.5)}, "ok"},
		{"ratio missed", row{mine: 11, theirs: 20, measured: true, target: ratioAtMost(0.5)}, "MISSED"},
		// 0.504 prints as 0.50x: the verdict agrees with what is shown.
		{"ratio met as printed", row{mine: 50.4, theirs: 100, measured: true, target: ratioAtMost(0.5)}, "ok"},
		{"ratio just missed as printed", row{mine: 50.5, theirs: 100, measured: true, target: ratioAtMost(0.5)}, "MISSED"},
		{"ratio without peer value", row{mine: 10, target: ratioAtMost(0.5)}, "-"},
		{"ratio with zero peer value", row{mine: 10, measured: true, target: ratioAtMost(0.5)}, "-"},
		{"no target", row{mine: 10, theirs: 1, measured: true}, "-"},
		{"absolute met, peer missing", row{unit: mebibytes, mine: 1.9, target: absoluteAtMost(2)}, "ok"},
		{"absolute met as printed", row{unit: mebibytes, mine: 2.04, theirs: 1, measured: true, target: absoluteAtMost(2)}, "ok"},
		// An absolute target ignores the peer: conmon's value is context.
		{"absolute missed", row{unit: mebibytes, mine: 3.5, theirs: 1.5, measured: true, target: absoluteAtMost(2)}, "MISSED"},
	} {
		if got := tc.r.verdict(); got != tc.want {
			t.Errorf("%s: verdict %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestCells(t *testing.T) {
	for _, tc := range []struct {
		r    row
		want string
	}{
		{timeRow(1, "run", 12340*time.Microsecond, 24680*time.Microsecond, "runc run", ratioAtMost(0.5), ""),
			"run|12.3 ms|runc run|24.7 ms|0.50x|<= 0.50x|ok"},
		{timeRow(8, "pull", 2*time.Second, time.Second, "podman pull", target{}, "context"),
			"pull|2000.0 ms|podman pull|1000.0 ms|2.00x|-|-"},
		{row{what: "rss", unit: mebibytes, mine: 3.25, peer: "conmon", target: absoluteAtMost(2)},
			"rss|3.2 MiB|conmon|-|-|<= 2.0 MiB|MISSED"},
		{row{what: "rss", unit: mebibytes, mine: 1.5, peer: "conmon", theirs: 2.5, measured: true, target: absoluteAtMost(2)},
			"rss|1.5 MiB|conmon|2.5 MiB|0.60x|<= 2.0 MiB|ok"},
		{row{what: "x", mine: 1}, "x|1.0 ms|-|-|-|-|-"},
	} {
		if got := strings.Join(tc.r.cells(), "|"); got != tc.want {
			t.Errorf("cells:\n got %s\nwant %s", got, tc.want)
		}
	}
}

func TestWriteTable(t *testing.T) {
	rows := []row{
		timeRow(1, "run --rm", 10*time.Millisecond, 20*time.Millisecond, "runc run", ratioAtMost(0.5), ""),
		timeRow(5, "parallel", 700*time.Millisecond, time.Second, "in a row", ratioAtMost(0.6), "same tool"),
		{num: 4, what: "rss", unit: mebibytes, mine: 1.5, peer: "conmon", target: absoluteAtMost(2), note: "podman missing"},
	}
	var b strings.Builder
	if err := writeTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	want := `measurement   mydocker  peer      peer value  ratio  target      verdict
run --rm      10.0 ms   runc run  20.0 ms     0.50x  <= 0.50x    ok
parallel [1]  700.0 ms  in a row  1000.0 ms   0.70x  <= 0.60x    MISSED
rss [2]       1.5 MiB   conmon    -           -      <= 2.0 MiB  ok

[1] same tool
[2] podman missing
`
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
	if k := missed(rows); k != 1 {
		t.Errorf("missed = %d, want 1", k)
	}
	if k := countTargets(append(rows, row{what: "context"})); k != 3 {
		t.Errorf("countTargets = %d, want 3", k)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		want int
	}{
		{nil, 0},
		{[]int{7}, 7},
		{[]int{3, 1, 2}, 2},
		{[]int{4, 1, 3, 2}, 2}, // (2+3)/2 in integers
		{[]int{10, 30, 20, 40}, 25},
		{[]int{5, 5, 1, 100, 5}, 5},
	} {
		in := append([]int(nil), tc.in...)
		if got := median(in); got != tc.want {
			t.Errorf("median(%v) = %d, want %d", tc.in, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Errorf("median reordered its input: %v", in)
				break
			}
		}
	}
	if got := median([]time.Duration{3 * time.Millisecond, time.Millisecond}); got != 2*time.Millisecond {
		t.Errorf("median of durations = %v", got)
	}
}

func TestParseRSS(t *testing.T) {
	for _, tc := range []struct {
		out  string
		want int
		kbs  []int
		err  bool
	}{
		{" 1904\n 2100\n", 2, []int{1904, 2100}, false},
		{"1904\n", 2, nil, true}, // a process exited
		{"12x\n", 1, nil, true},
		{"", 0, nil, false},
	} {
		kbs, err := parseRSS(tc.out, tc.want)
		if (err != nil) != tc.err || !slices.Equal(kbs, tc.kbs) {
			t.Errorf("parseRSS(%q, %d) = %v, %v; want %v, error %v", tc.out, tc.want, kbs, err, tc.kbs, tc.err)
		}
	}
}

func TestCleanupsRunLastFirstAndKeepEveryError(t *testing.T) {
	var order []int
	var c cleanups
	for i := 0; i < 3; i++ {
		c.push(func() error {
			order = append(order, i)
			if i != 1 {
				return errors.New("step failed")
			}
			return nil
		})
	}
	err := c.run()
	if len(order) != 3 || order[0] != 2 || order[1] != 1 || order[2] != 0 {
		t.Errorf("order %v, want [2 1 0]", order)
	}
	if err == nil || strings.Count(err.Error(), "step failed") != 2 {
		t.Errorf("error %v: want both failures", err)
	}
	if err := c.run(); err != nil || len(order) != 3 {
		t.Errorf("a second run repeats the steps: %v, %v", err, order)
	}
}
