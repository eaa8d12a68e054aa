package utils

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

const smapsSample = `00400000-00401000 r--p 00000000 fe:00 42 /usr/bin/mydocker
Rss:                   4 kB
Anonymous:             0 kB
VmFlags: rd mr mw me
00401000-0070e000 r-xp 00001000 fe:00 42 /usr/bin/mydocker
Rss:                2428 kB
Anonymous:             0 kB
009fa000-009fe000 r--p 005fa000 fe:00 42 /usr/bin/mydocker
Rss:                  16 kB
Anonymous:             8 kB
009fe000-00a27000 rw-p 005fe000 fe:00 42 /usr/bin/mydocker
Rss:                 144 kB
Anonymous:            52 kB
7f0000000000-7f0000001000 r--p 00000000 fe:00 43 /usr/lib/other.so
Anonymous:             0 kB
`

// Only the clean read-only mappings of the executable are dropped: not the
// relocated RELRO area (read-only, but written), not data, not other files.
func TestTrimmable(t *testing.T) {
	got, err := trimmable(strings.NewReader(smapsSample), "/usr/bin/mydocker")
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]uint64{{0x400000, 0x401000}, {0x401000, 0x70e000}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("trimmable = %x, want %x", got, want)
	}
}

// After TrimResident the process keeps working: goroutines, and starting
// a child through the runtime's fork/exec path.
func TestTrimResidentKeepsProcessWorking(t *testing.T) {
	TrimResident()
	TrimResident() // twice: idempotent
	done := make(chan int)
	for i := 0; i < 4; i++ {
		go func(i int) { done <- i * 2 }(i)
	}
	sum := 0
	for i := 0; i < 4; i++ {
		sum += <-done
	}
	if sum != 12 {
		t.Fatalf("sum %d", sum)
	}
	if out, err := exec.Command("true").CombinedOutput(); err != nil {
		t.Fatalf("exec after trim: %v %s", err, out)
	}
}

// splitMapping leaves a mapping in pieces of at most trimChunk that the
// kernel does not merge back: a fault maps at most one piece's folios.
func TestSplitMapping(t *testing.T) {
	const page = 4096
	for _, tc := range []struct {
		name   string
		size   int
		pieces int
	}{
		{"smaller than a piece", trimChunk / 2, 1},
		{"one piece", trimChunk, 1},
		{"a piece and a page", trimChunk + page, 2},
		{"four pieces", 4 * trimChunk, 4},
		{"four and a half", 4*trimChunk + trimChunk/2, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mapped")
			if err := os.WriteFile(path, make([]byte, tc.size), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			mem, err := unix.Mmap(int(f.Fd()), 0, tc.size, unix.PROT_READ, unix.MAP_PRIVATE)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Munmap(mem) //nolint:errcheck
			start := uint64(uintptr(unsafe.Pointer(&mem[0])))
			splitMapping(start, start+uint64(tc.size))
			maps, err := os.ReadFile("/proc/self/maps")
			if err != nil {
				t.Fatal(err)
			}
			var pieces int
			for _, line := range strings.Split(string(maps), "\n") {
				fields := strings.Fields(line)
				if len(fields) < 6 || fields[5] != path {
					continue
				}
				pieces++
				lo, hi, _ := strings.Cut(fields[0], "-")
				a, _ := strconv.ParseUint(lo, 16, 64)
				b, _ := strconv.ParseUint(hi, 16, 64)
				if b-a > trimChunk {
					t.Errorf("piece %s is %d bytes, more than %d", fields[0], b-a, trimChunk)
				}
			}
			if pieces != tc.pieces {
				t.Fatalf("%d pieces, want %d", pieces, tc.pieces)
			}
		})
	}
}
