// Package progress shows what pull, push, load, save and commit do to each
// layer: on a terminal, one live line per layer as Docker draws it
// ("<id>: Downloading [=====>    ]  12.3MB/45.6MB", then "<id>: Pull
// complete"); elsewhere (a log, a pipe, CI) one plain line per layer when
// it finishes, and never an escape sequence.
//
// Every method is safe for concurrent use: layers are fetched by parallel
// goroutines, each with its own Bar.
package progress

import (
	"context"
	"fmt"
	"io"
	"mydocker/utils"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pkg/errors"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// barWidth is the width of the [===>  ] part with its brackets: 50
// inside, as Docker draws it.
const barWidth = 52

// Progress is one command's display.
type Progress struct {
	out   io.Writer
	tty   bool
	quiet bool

	mu   sync.Mutex    // serialises writes to out and the fields below
	bars *mpb.Progress // the live bars on a terminal; nil until a Layer
	open []*Bar        // bars not yet Done or Aborted
}

// New makes a display on out: live bars if tty, plain lines if not,
// nothing at all if quiet.
func New(out io.Writer, tty, quiet bool) *Progress {
	return &Progress{out: out, tty: tty, quiet: quiet}
}

// Bar is one layer's line.
type Bar struct {
	p    *Progress
	id   string
	verb string
	bar  *mpb.Bar    // nil without a terminal
	eof  atomic.Bool // a Proxy reader reached the end
	// final is the text that replaces the verb and the bar once the layer
	// is done or failed; set once, read by the renderer goroutine.
	final atomic.Pointer[string]
}

// Layer starts the line for layer id (12 hex characters), size bytes
// (0 or less if unknown), doing verb ("Downloading", "Pushing",
// "Extracting", "Writing").
func (p *Progress) Layer(id string, size int64, verb string) *Bar {
	b := &Bar{p: p, id: id, verb: verb}
	if p.quiet {
		return b
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open = append(p.open, b)
	if !p.tty {
		return b
	}
	if p.bars == nil {
		// ForceTTY: the caller decided this is a terminal (out may be a
		// writer wrapping one); AutoRefresh then redraws without mpb's
		// own check.
		p.bars = mpb.New(mpb.WithOutput(sizedTerminal(p.out)), mpb.ForceTTY(), mpb.WithAutoRefresh())
	}
	// Made with total 0, which mpb never completes by itself: the bar
	// must stay until Done or Abort replaces it with the final message,
	// even when the bytes read reach the size before that. SetTotal
	// then gives the size for drawing only.
	b.bar = p.bars.New(0,
		mpb.BarStyle().Lbound("[").Filler("=").Tip(">").Padding(" ").Rbound("]"),
		mpb.BarWidth(barWidth),
		// The spaces around the bar come from the decorators, so a
		// finished line, bar and counters gone, ends without blanks.
		mpb.BarFillerTrim(),
		// Without a size there is nothing to fill: an empty [   ]
		// would look stuck, so only the count shows, as Docker does.
		mpb.BarFillerMiddleware(func(bar mpb.BarFiller) mpb.BarFiller {
			return mpb.BarFillerFunc(func(w io.Writer, s decor.Statistics) error {
				if s.Total <= 0 {
					return nil
				}
				return bar.Fill(w, s)
			})
		}),
		mpb.PrependDecorators(decor.Any(b.label)),
		mpb.AppendDecorators(decor.Any(b.counters)),
		mpb.BarFillerClearOnComplete(),
		mpb.BarFillerClearOnAbort(),
	)
	if size > 0 {
		b.bar.SetTotal(size, false)
	}
	return b
}

// sizedTerminal is out as mpb should see it. mpb fits its lines to the
// size of a terminal it finds behind an *os.File, and shows nothing at
// all on one that reports 0x0 (a fresh pty, script(1), some CI
// runners): such a terminal is hidden from it, so it draws lines of its
// default width (80 columns).
func sizedTerminal(out io.Writer) io.Writer {
	f, ok := out.(*os.File)
	if !ok {
		return out
	}
	if w, h, err := term.GetSize(int(f.Fd())); err == nil && w > 0 && h > 0 {
		return f
	}
	return struct{ io.Writer }{f}
}

// label is "<id>: <verb>" while the layer is under way, "<id>: <final
// message>" once it is finished.
func (b *Bar) label(decor.Statistics) string {
	if f := b.final.Load(); f != nil {
		return b.id + ": " + *f
	}
	return b.id + ": " + b.verb + " "
}

// counters is Docker's "12.3MB/45.6MB" (or just "12.3MB" when the size is
// unknown) while under way, nothing once finished.
func (b *Bar) counters(s decor.Statistics) string {
	if b.final.Load() != nil {
		return ""
	}
	if s.Total <= 0 {
		return " " + humanSize(s.Current) // after the label's blank: no bar between
	}
	return "  " + humanSize(s.Current) + "/" + humanSize(s.Total)
}

// Proxy counts the bytes read through r on b's line.
func (b *Bar) Proxy(r io.Reader) io.Reader {
	if b.p.quiet {
		return r
	}
	return &proxy{r: r, b: b}
}

type proxy struct {
	r io.Reader
	b *Bar
}

func (p *proxy) Read(buf []byte) (int, error) {
	n, err := p.r.Read(buf)
	if p.b.bar != nil {
		p.b.bar.IncrBy(n)
	}
	if err == io.EOF {
		p.b.eof.Store(true)
	}
	return n, err
}

// Done ends b's line with msg ("Pull complete", "Already exists",
// "Pushed", "Layer already exists"). Only the first Done or Abort counts.
func (b *Bar) Done(msg string) {
	b.finish(msg, false)
}

// Abort ends b's line as failed. A layer cancelled because another one
// failed says so rather than repeat that error: the command reports it.
func (b *Bar) Abort(err error) {
	msg := b.verb + " failed"
	if errors.Is(err, context.Canceled) {
		msg = b.verb + " cancelled"
	}
	b.finish(msg, true)
}

func (b *Bar) finish(msg string, failed bool) {
	if !b.final.CompareAndSwap(nil, &msg) {
		return
	}
	if b.p.quiet {
		return
	}
	b.p.mu.Lock()
	for i, o := range b.p.open {
		if o == b {
			b.p.open = append(b.p.open[:i], b.p.open[i+1:]...)
			break
		}
	}
	if b.bar == nil {
		fmt.Fprintf(b.p.out, "%s: %s\n", b.id, msg)
		b.p.mu.Unlock()
		return
	}
	b.p.mu.Unlock()
	if failed {
		b.bar.Abort(false) // keep the line, showing the failure
	} else {
		// The size announced may differ from what was read (or be
		// unknown): complete the bar at what it has now.
		b.bar.SetTotal(-1, true)
	}
}

// Wait draws the bars' final state and returns; with no bars it returns
// at once. A bar the caller left open is ended here, so Wait cannot hang
// on it and every layer still gets its one line: as complete if its
// reader was read to the end (a Proxy handed to a library that reads it
// all, as a tar writer does), else as failed. Bars may be added again
// after Wait; they start a new block of lines.
func (p *Progress) Wait() {
	p.mu.Lock()
	bars, open := p.bars, p.open
	p.bars, p.open = nil, nil
	p.mu.Unlock()
	for _, b := range open {
		if b.eof.Load() {
			b.Done(completed(b.verb))
		} else {
			b.Abort(nil)
		}
	}
	if bars != nil {
		bars.Wait()
	}
}

// completed is the final message of a layer read to the end but never
// given one: Docker's words where it has them.
func completed(verb string) string {
	switch verb {
	case "Downloading":
		return "Download complete"
	case "Pushing":
		return "Pushed"
	}
	return verb + " complete"
}

// Println writes one status line ("Digest: sha256:...", "Status:
// Downloaded newer image for busybox:latest"); on a terminal it goes
// above the live bars rather than through them.
func (p *Progress) Println(format string, args ...any) {
	if p.quiet {
		return
	}
	line := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(line, "\n") {
		line += "\n"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bars != nil {
		if _, err := p.bars.Write([]byte(line)); err == nil {
			return
		}
	}
	io.WriteString(p.out, line) //nolint:errcheck // a lost status line must not fail the pull
}

// humanSize is Docker's size in progress lines: decimal units, one
// decimal place ("12.3MB", "512B").
func humanSize(n int64) string { return utils.DecimalSize(n, "%.1f") }
