package progress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Without a terminal each layer is exactly one line, written when it
// finishes, whatever happened to it; quiet writes nothing.
func TestPlain(t *testing.T) {
	for _, tc := range []struct {
		name  string
		quiet bool
		run   func(p *Progress)
		want  string
	}{
		{"no bars", false, func(p *Progress) {}, ""},
		{"pull", false, func(p *Progress) {
			a := p.Layer("0123456789ab", 5, "Downloading")
			b := p.Layer("ba9876543210", 0, "Downloading")
			if _, err := io.Copy(io.Discard, a.Proxy(strings.NewReader("hello"))); err != nil {
				t.Fatal(err)
			}
			b.Done("Already exists")
			a.Done("Pull complete")
			a.Done("Pull complete") // a second end is ignored
			p.Println("Digest: sha256:%s", "abc")
		}, "ba9876543210: Already exists\n0123456789ab: Pull complete\nDigest: sha256:abc\n"},
		{"failures", false, func(p *Progress) {
			p.Layer("aaaaaaaaaaaa", 10, "Pushing").Abort(errors.New("boom"))
			p.Layer("bbbbbbbbbbbb", 10, "Pushing").Abort(fmt.Errorf("copy: %w", context.Canceled))
			c := p.Layer("cccccccccccc", 10, "Pushing")
			c.Abort(errors.New("x"))
			c.Done("Pushed") // too late: the first end counts
		}, "aaaaaaaaaaaa: Pushing failed\nbbbbbbbbbbbb: Pushing cancelled\ncccccccccccc: Pushing failed\n"},
		{"left open", false, func(p *Progress) {
			a := p.Layer("aaaaaaaaaaaa", 5, "Writing")
			io.Copy(io.Discard, a.Proxy(strings.NewReader("hello"))) //nolint:errcheck // strings.Reader
			b := p.Layer("bbbbbbbbbbbb", 5, "Downloading")
			b.Proxy(strings.NewReader("hello")).Read(make([]byte, 2)) //nolint:errcheck // strings.Reader
			c := p.Layer("cccccccccccc", 5, "Downloading")
			io.Copy(io.Discard, c.Proxy(strings.NewReader("hello"))) //nolint:errcheck // strings.Reader
		}, "aaaaaaaaaaaa: Writing complete\nbbbbbbbbbbbb: Downloading failed\ncccccccccccc: Download complete\n"},
		{"status line gets its newline once", false, func(p *Progress) {
			p.Println("Status: done\n")
		}, "Status: done\n"},
		{"quiet", true, func(p *Progress) {
			a := p.Layer("0123456789ab", 5, "Downloading")
			io.Copy(io.Discard, a.Proxy(strings.NewReader("hello"))) //nolint:errcheck // strings.Reader
			a.Done("Pull complete")
			p.Layer("ba9876543210", 5, "Extracting").Abort(errors.New("x"))
			p.Println("Digest: x")
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			p := New(&out, false, tc.quiet)
			tc.run(p)
			p.Wait()
			p.Wait() // twice is harmless
			if out.String() != tc.want {
				t.Fatalf("output %q, want %q", out.String(), tc.want)
			}
		})
	}
}

// Parallel layer goroutines each get their one whole line, never torn,
// and no escape sequence or carriage return appears without a terminal.
func TestPlainConcurrent(t *testing.T) {
	var out bytes.Buffer
	p := New(&out, false, false)
	var want []string
	var wg sync.WaitGroup
	for i := range 32 {
		id := fmt.Sprintf("%012x", i)
		want = append(want, id+": Pull complete")
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := p.Layer(id, 1<<16, "Downloading")
			if _, err := io.Copy(io.Discard, b.Proxy(bytes.NewReader(make([]byte, 1<<16)))); err != nil {
				t.Error(err)
			}
			p.Println("status %s", id)
			b.Done("Pull complete")
		}()
	}
	wg.Wait()
	p.Wait()
	if strings.ContainsAny(out.String(), "\x1b\r") {
		t.Fatalf("control characters without a terminal: %q", out.String())
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if !strings.HasPrefix(l, "status ") {
			got = append(got, l)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("lines %q, want %q", got, want)
	}
}

// openPty returns a pseudo-terminal's master and slave, rows x cols.
func openPty(t *testing.T, rows, cols uint16) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { slave.Close() })
	if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols}); err != nil {
		t.Fatal(err)
	}
	return master, slave
}

// watch collects what the terminal of master shows.
func watch(master *os.File) *screen {
	scr := &screen{}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			scr.mu.Lock()
			scr.buf.Write(buf[:n])
			scr.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return scr
}

// screen collects what a terminal shows.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func (s *screen) waitFor(t *testing.T, what string, cond func(string) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond(s.String()) {
		if time.Now().After(deadline) {
			out := s.String()
			t.Fatalf("timed out waiting for %s; screen ends %q", what, out[max(0, len(out)-600):])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// On a terminal each layer is a live bar, Docker's way, drawn in place
// with cursor movements, and ends as its final message.
func TestTerminal(t *testing.T) {
	master, slave := openPty(t, 24, 100)
	scr := watch(master)
	p := New(slave, true, false)
	a := p.Layer("0123456789ab", 45_600_000, "Downloading")
	unsized := p.Layer("cccccccccccc", 0, "Loading layer")
	io.Copy(io.Discard, unsized.Proxy(bytes.NewReader(make([]byte, 1500)))) //nolint:errcheck // bytes.Reader
	b := p.Layer("ba9876543210", 1000, "Downloading")
	pr, pw := io.Pipe()
	done := make(chan error)
	go func() {
		_, err := io.Copy(io.Discard, a.Proxy(pr))
		done <- err
	}()
	if _, err := pw.Write(make([]byte, 12_300_000)); err != nil {
		t.Fatal(err)
	}
	bar := regexp.MustCompile(`0123456789ab: Downloading \[=+>\s+\]  12\.3MB/45\.6MB`)
	scr.waitFor(t, "a bar at 12.3MB of 45.6MB", bar.MatchString)
	// Without a size: the count alone, no empty bar that looks stuck.
	scr.waitFor(t, "the unsized layer's count", func(s string) bool { return strings.Contains(s, "cccccccccccc: Loading layer  1.5kB\r\n") })
	unsized.Done("Loaded")
	p.Println("Pulling from library/busybox")
	scr.waitFor(t, "a status line above the bars", func(s string) bool { return strings.Contains(s, "Pulling from library/busybox\r\n") })
	p.Println("Pulling from library/busybox")
	scr.waitFor(t, "a status line above the bars", func(s string) bool { return strings.Contains(s, "Pulling from library/busybox\r\n") })
	// All of b's bytes read: the bar is full but stays under way until
	// Done, which alone decides the final line.
	if _, err := io.Copy(io.Discard, b.Proxy(bytes.NewReader(make([]byte, 1000)))); err != nil {
		t.Fatal(err)
	}
	scr.waitFor(t, "b's full bar", func(s string) bool {
		return strings.Contains(s, "ba9876543210: Downloading [") && strings.Contains(s, "1.0kB/1.0kB")
	})
	b.Done("Pull complete")
	scr.waitFor(t, "b's final line", func(s string) bool { return strings.Contains(s, "ba9876543210: Pull complete") })
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	a.Done("Pull complete")
	p.Wait()
	p.Println("Digest: sha256:abc")
	scr.waitFor(t, "the status line", func(s string) bool { return strings.Contains(s, "Digest: sha256:abc\r\n") })
	out := scr.String()
	if !strings.Contains(out, "0123456789ab: Pull complete\r\n") || !strings.Contains(out, "Digest: sha256:abc") {
		t.Fatalf("final lines missing: %q", out)
	}
	// The status line is part of a redraw, above the bars: written
	// straight to the terminal the next redraw would wipe it out.
	if !strings.Contains(out, "\x1b[JPulling from library/busybox\r\n0123456789ab: Downloading") {
		t.Fatalf("status line not drawn above the bars: %q", out)
	}
	// Redrawn in place: the cursor moves up over the old frame.
	if !strings.Contains(out, "\x1b[") {
		t.Fatalf("no cursor movement on a terminal: %q", out)
	}
	if strings.Contains(out[strings.LastIndex(out, "Pull complete"):], "[=") {
		t.Fatalf("a bar drawn after completion: %q", out)
	}
}

// A terminal that reports no size (a fresh pty, script(1), some CI
// runners) still shows every layer's line.
func TestTerminalWithoutSize(t *testing.T) {
	master, slave := openPty(t, 0, 0)
	scr := watch(master)
	p := New(slave, true, false)
	p.Layer("0123456789ab", 1000, "Downloading").Done("Pull complete")
	p.Wait()
	scr.waitFor(t, "the layer's line", func(s string) bool { return strings.Contains(s, "0123456789ab: Pull complete") })
}

// Wait ends a bar nobody finished instead of waiting for it for ever, as
// complete if it was read to the end, and bars can be added again
// afterwards.
func TestTerminalWaitEndsOpenBars(t *testing.T) {
	var out syncBuffer
	p := New(&out, true, false)
	p.Layer("0123456789ab", 100, "Extracting")
	io.Copy(io.Discard, p.Layer("aaaaaaaaaaaa", 5, "Writing").Proxy(strings.NewReader("hello"))) //nolint:errcheck // strings.Reader
	p.Wait()
	p.Layer("ba9876543210", 100, "Writing").Done("Written")
	p.Wait()
	for _, want := range []string{"0123456789ab: Extracting failed", "aaaaaaaaaaaa: Writing complete", "ba9876543210: Written"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("%q missing from %q", want, out.String())
		}
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestHumanSize(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0B"}, {999, "999B"}, {1000, "1.0kB"}, {12_345_678, "12.3MB"}, {45_600_000_000, "45.6GB"}} {
		if got := humanSize(tc.n); got != tc.want {
			t.Errorf("humanSize(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
