package hugeheap

import (
	"encoding/binary"
	"go/build"
	"os"
	"strings"
	"testing"
	"unsafe"
)

// The test binary imports the package: its init has run, and the page
// that holds the heap's first object must be part of a huge page now.
// (Needs root: /proc/self/pagemap shows page frame numbers only to root.)
func TestHeapStartsOnAHugePage(t *testing.T) {
	if initErr != nil {
		mode, _ := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
		t.Fatalf("init: %v (transparent huge pages: %s)", initErr, strings.TrimSpace(string(mode)))
	}
	addr := uintptr(unsafe.Pointer(first))
	if !onHugePage(t, addr) {
		t.Fatalf("the heap's first object (%#x) is on a 4 KiB page, want it on a huge page", addr)
	}
}

// The package's init runs before the runtime's heap holds anything of
// the program's packages only if it imports nothing that comes later in
// Go's initialisation order.
func TestImportsOnlyTheRuntimesOwn(t *testing.T) {
	allowed := map[string]bool{"syscall": true, "unsafe": true}
	for _, imp := range importsOf(t) {
		if !allowed[imp] {
			t.Errorf("hugeheap imports %s: its init would run after %s's, later than it must", imp, imp)
		}
	}
}

// onHugePage reports whether addr is mapped by a transparent huge page:
// its page frame (/proc/self/pagemap) is part of a THP (/proc/kpageflags).
func onHugePage(t *testing.T, addr uintptr) bool {
	t.Helper()
	const (
		pfnMask = 1<<55 - 1
		present = 1 << 63
		kpfTHP  = 1 << 22
	)
	entry := word(t, "/proc/self/pagemap", int64(addr)/int64(os.Getpagesize()))
	pfn := entry & pfnMask
	if entry&present == 0 || pfn == 0 {
		t.Fatalf("pagemap: %#x is not present or its frame is hidden (%#x); run as root", addr, entry)
	}
	return word(t, "/proc/kpageflags", int64(pfn))&kpfTHP != 0
}

// word reads the index'th 64-bit word of a /proc table.
func word(t *testing.T, path string, index int64) uint64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b [8]byte
	if _, err := f.ReadAt(b[:], index*8); err != nil {
		t.Fatalf("%s: word %d: %v", path, index, err)
	}
	return binary.NativeEndian.Uint64(b[:])
}

// importsOf lists what the package itself imports (not its tests).
func importsOf(t *testing.T) []string {
	t.Helper()
	pkg, err := build.Default.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	return pkg.Imports
}
