// Package progress shows per-layer progress (placeholder until the bars land).
package progress

import (
	"fmt"
	"io"
	"sync"
)

type Progress struct {
	mu    sync.Mutex
	out   io.Writer
	quiet bool
}

type Bar struct {
	p  *Progress
	id string
}

func New(out io.Writer, tty, quiet bool) *Progress { return &Progress{out: out, quiet: quiet} }

func (p *Progress) Layer(id string, size int64, verb string) *Bar { return &Bar{p: p, id: id} }

func (b *Bar) Proxy(r io.Reader) io.Reader { return r }

func (b *Bar) Done(msg string) { b.p.Println("%s: %s", b.id, msg) }

func (b *Bar) Abort(err error) {}

func (p *Progress) Wait() {}

func (p *Progress) Println(format string, args ...any) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, format+"\n", args...)
}
