package spec

import (
	"io"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func seqpacketPair(t *testing.T) (host, inside *os.File) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	host, inside = os.NewFile(uintptr(fds[0]), "host"), os.NewFile(uintptr(fds[1]), "inside")
	t.Cleanup(func() { host.Close(); inside.Close() })
	return host, inside
}

// Recv takes each message whole, whatever its length up to the longest
// an error may be, with the descriptor a pty message carries (and no
// stray copy of it from looking at the message first); then EOF.
func TestRecvMessages(t *testing.T) {
	host, inside := seqpacketPair(t)
	if msg, f, err := Recv(host, unix.MSG_DONTWAIT); err != io.EOF || f != nil || msg.Type != "" {
		t.Fatalf("Recv of nothing with MSG_DONTWAIT: %+v %v %v, want io.EOF", msg, f, err)
	}
	long := strings.Repeat("x", maxMsg-100)
	sent := []Msg{{Type: MsgReady}, {Type: MsgError, Code: 125, Message: long}, {Type: MsgExec}}
	for _, m := range sent {
		if err := Send(inside, m, nil); err != nil {
			t.Fatal(err)
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := Send(inside, Msg{Type: MsgPty}, w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	fdsBefore := openFds(t)
	for _, want := range sent {
		msg, f, err := Recv(host, 0)
		if err != nil || f != nil || msg != want {
			t.Fatalf("Recv: %.80v %v %v, want %.80v", msg, f, err, want)
		}
	}
	msg, f, err := Recv(host, 0)
	if err != nil || f == nil || msg.Type != MsgPty {
		t.Fatalf("Recv of the pty message: %+v %v %v", msg, f, err)
	}
	if got := openFds(t); got != fdsBefore+1 {
		t.Fatalf("%d descriptors open after receiving one, %d before: the peek kept a copy", got, fdsBefore)
	}
	// The descriptor is the pipe's write end: what goes in comes out of r.
	if _, err := f.Write([]byte("z")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if b, err := io.ReadAll(r); err != nil || string(b) != "z" {
		t.Fatalf("through the received descriptor: %q %v", b, err)
	}
	inside.Close()
	if _, _, err := Recv(host, 0); err != io.EOF {
		t.Fatalf("Recv after the inside closed: %v, want io.EOF", err)
	}
}

func openFds(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// A message takes what it needs, not maxMsg: the monitor keeps the pages
// of what its start allocated.
func TestRecvAllocatesWhatTheMessageNeeds(t *testing.T) {
	host, inside := seqpacketPair(t)
	n := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := Send(inside, Msg{Type: MsgReady}, nil); err != nil {
				b.Fatal(err)
			}
			if _, _, err := Recv(host, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	if got := n.AllocedBytesPerOp(); got > 4<<10 {
		t.Fatalf("a send and a receive of a short message allocate %d bytes, want a few hundred", got)
	}
}
