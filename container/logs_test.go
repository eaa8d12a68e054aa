package container

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Rotation keeps at most MaxFile files, none much above MaxSize, and the
// files read oldest first give the newest lines in order.
func TestLogRotation(t *testing.T) {
	for _, tc := range []struct {
		opts  LogOptions
		lines int
	}{
		{LogOptions{MaxSize: 1024, MaxFile: 3}, 500},
		{LogOptions{MaxSize: 1024, MaxFile: 1}, 500},
		{LogOptions{MaxSize: 100, MaxFile: 2}, 50}, // one entry per file
		{LogOptions{MaxSize: 1 << 20, MaxFile: 3}, 100},
	} {
		t.Run(fmt.Sprintf("%+v", tc.opts), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "container.log")
			l, err := OpenLog(path, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			w := l.Stream("stdout")
			for i := 0; i < tc.lines; i++ {
				if _, err := fmt.Fprintf(w, "line %d\n", i); err != nil {
					t.Fatal(err)
				}
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if l.Dropped() != 0 {
				t.Fatalf("dropped %d", l.Dropped())
			}
			names, _ := filepath.Glob(path + "*")
			if len(names) > tc.opts.MaxFile {
				t.Fatalf("%d files: %v", len(names), names)
			}
			for _, n := range names {
				fi, err := os.Stat(n)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Size() > tc.opts.MaxSize && fi.Size() > 100 {
					t.Fatalf("%s is %d bytes", n, fi.Size())
				}
			}
			files, err := OpenLogs(path)
			if err != nil {
				t.Fatal(err)
			}
			defer closeAll(files...)
			var got []string
			if err := TailLog(files, -1, func(e LogEntry) error {
				got = append(got, strings.TrimSuffix(e.Log, "\n"))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || got[len(got)-1] != "line "+strconv.Itoa(tc.lines-1) {
				t.Fatalf("last lines: %q", got)
			}
			first, _ := strconv.Atoi(strings.TrimPrefix(got[0], "line "))
			for i, s := range got {
				if s != "line "+strconv.Itoa(first+i) {
					t.Fatalf("line %d is %q, want line %d: %q", i, s, first+i, got)
				}
			}
		})
	}
}

func TestTailLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "container.log")
	l, err := OpenLog(path, LogOptions{MaxSize: 300, MaxFile: 10})
	if err != nil {
		t.Fatal(err)
	}
	w := l.Stream("stdout")
	for i := 0; i < 30; i++ {
		fmt.Fprintf(w, "%d\n", i)
	}
	l.Close()
	for _, n := range []int{0, 1, 5, 29, 30, 100} {
		files, err := OpenLogs(path)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		if err := TailLog(files, n, func(e LogEntry) error {
			got = append(got, strings.TrimSpace(e.Log))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		closeAll(files...)
		want := []string{}
		for i := max(0, 30-n); i < 30; i++ {
			want = append(want, strconv.Itoa(i))
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("tail %d: %q, want %q", n, got, want)
		}
	}
}

// FollowLog keeps every line while the log rotates many times between
// its polls and while it looks for the next file.
func TestFollowLogAcrossFastRotation(t *testing.T) {
	for round := 0; round < 5; round++ {
		path := filepath.Join(t.TempDir(), "container.log")
		l, err := OpenLog(path, LogOptions{MaxSize: 1500, MaxFile: 90})
		if err != nil {
			t.Fatal(err)
		}
		w := l.Stream("stdout")
		if _, err := fmt.Fprintf(w, "line 0\n"); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		const lines = 800
		finished := make(chan struct{})
		go func() {
			defer close(finished)
			for i := 1; i < lines; i++ {
				fmt.Fprintf(w, "line %d\n", i) //nolint:errcheck // checked by what is read
			}
		}()
		var got []string
		err = FollowLog(f, path, func() bool {
			select {
			case <-finished:
				return true
			default:
				return false
			}
		}, func(e LogEntry) error {
			got = append(got, strings.TrimSuffix(e.Log, "\n"))
			return nil
		})
		f.Close()
		l.Close()
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range got {
			if s != "line "+strconv.Itoa(i) {
				t.Fatalf("round %d: line %d is %q", round, i, s)
			}
		}
		if len(got) != lines {
			t.Fatalf("round %d: %d lines, want %d", round, len(got), lines)
		}
	}
}

// A rotation between finding the file FollowLog read and opening the one
// after it moves every name by one: the follower looks again instead of
// skipping a file.
func TestFollowLogRotationWhileLookingForNext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "container.log")
	l, err := OpenLog(path, LogOptions{MaxSize: 200, MaxFile: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	w := l.Stream("stdout")
	n := 0
	write := func(k int) {
		for i := 0; i < k; i++ {
			if _, err := fmt.Fprintf(w, "line %d\n", n); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	write(1)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	write(12) // several rotations: f's file is now path.K
	rotated := false
	rotationWindow = func() {
		if !rotated {
			rotated = true
			write(4) // at least one more rotation, in the window
		}
	}
	defer func() { rotationWindow = func() {} }()
	var got []string
	if err := FollowLog(f, path, func() bool { return true }, func(e LogEntry) error {
		got = append(got, strings.TrimSuffix(e.Log, "\n"))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !rotated {
		t.Fatal("the log never rotated while FollowLog looked for the next file")
	}
	for i, s := range got {
		if s != "line "+strconv.Itoa(i) {
			t.Fatalf("line %d is %q: %q", i, s, got)
		}
	}
	if len(got) != n {
		t.Fatalf("%d lines, want %d: %q", len(got), n, got)
	}
}

// A rotation under way leaves a gap among the names for a moment. The
// follower must not take the file before the gap for the oldest: that
// skips the files between.
func TestNextLogAcrossRotationGap(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "container.log")
	for _, name := range []string{"", ".1", ".3", ".4"} {
		if err := os.WriteFile(path+name, []byte(name+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	read := func(f *os.File) string {
		t.Helper()
		if f == nil {
			return "<none>"
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}

	// cur is path.3; path.2, the file after it, is being renamed in.
	cur, err := os.Open(path + ".3")
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	next, err := nextLog(cur, path)
	if err != nil {
		t.Fatal(err)
	}
	if got := read(next); got != "<none>" {
		t.Fatalf("next after path.3 with path.2 missing: %q, want none yet", got)
	}

	// cur was rotated away entirely: the oldest file left is next, the
	// one past the gap.
	gone, err := os.Open(path + ".4")
	if err != nil {
		t.Fatal(err)
	}
	defer gone.Close()
	if err := os.Remove(path + ".4"); err != nil {
		t.Fatal(err)
	}
	next, err = nextLog(gone, path)
	if err != nil {
		t.Fatal(err)
	}
	if got := read(next); got != ".3" {
		t.Fatalf("next after a removed file: %q, want path.3", got)
	}
}
