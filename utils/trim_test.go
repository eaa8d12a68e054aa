package utils

import (
	"os/exec"
	"reflect"
	"strings"
	"testing"
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
