// Package hugeheap backs the start of a Go program's heap with a
// transparent huge page. It is for the programs on the path of every
// container start, mydocker and mydocker-inside, which import it for its
// side effect:
//
//	import _ "mydocker/internal/hugeheap"
//
// A Go program touches a few hundred 4 KiB pages of its heap as it starts
// (a span per size class and P, stacks, the maps of package
// initialisation), and the kernel maps each with a page fault of its own.
// Where the hypervisor keeps shadow page tables, as on the 2-CPU VM of
// `make bench`, every new mapping is dear: there, huge pages for every
// program (THP "always") made `run --rm --network none` 23% faster. The
// kernel's default, and Debian's, leaves huge pages to programs that ask
// (THP "madvise"), and Go's runtime has not asked for its heap since
// Go 1.21.1. This package asks, as early as a Go program can run code of
// its own: its init runs before any package that allocates much, since it
// imports only syscall and unsafe. That made run 7-10% faster and exec 7%
// (A/B, the builds alternating), with 40% fewer page faults in the CLI.
//
// It costs up to 4 MiB of memory per process (two huge pages, where a small
// program used a few hundred KiB), which is why mydocker-monitor, one of
// which stays resident per detached container, does not import it.
package hugeheap

import (
	"syscall"
	"unsafe"
)

// From <linux/mman.h>. golang.org/x/sys/unix has them too, but importing
// it would order this package's init after unix's dependencies (time,
// strings, unicode ...), whose allocations would then fault page by page.
const (
	madvHugepage = 14 // MADV_HUGEPAGE: huge pages for this range, on first touch
	madvCollapse = 25 // MADV_COLLAPSE (Linux 6.1): make them now, of the pages there
)

const (
	// hugePage is the size of a huge page (a PMD) on amd64, and on arm64
	// with 4 KiB pages.
	hugePage = 2 << 20
	// heapChunk is the unit the runtime maps its heap in (pallocChunkBytes):
	// the first chunk holds everything a short-lived program allocates.
	heapChunk = 4 << 20
)

// first is allocated by init, so it lies among the runtime's first heap
// pages; initErr is what backing them returned, for the tests.
var (
	first   *[16]byte
	initErr error
)

func init() {
	first = new([16]byte)
	// Huge pages only make the start faster: every failure (a kernel
	// before 6.1 or without transparent huge pages, a memory cgroup that
	// cannot take 2 MiB more) leaves the heap in 4 KiB pages, as it was,
	// so the program goes on either way.
	initErr = back(uintptr(unsafe.Pointer(first)))
}

// back asks for huge pages under the heap chunk holding addr: first for
// the whole chunk on first touch, which serves the pages not touched yet;
// then that the 2 MiB around addr, which the runtime has touched page by
// page as it started, be collapsed into one huge page at once.
func back(addr uintptr) error {
	if err := madvise(addr&^(heapChunk-1), heapChunk, madvHugepage, "MADV_HUGEPAGE"); err != nil {
		return err
	}
	return madvise(addr&^(hugePage-1), hugePage, madvCollapse, "MADV_COLLAPSE")
}

func madvise(addr, length, advice uintptr, name string) error {
	if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, addr, length, advice); e != 0 {
		return &adviceError{advice: name, errno: e}
	}
	return nil
}

// adviceError is a madvise that failed. (fmt.Errorf would do, but fmt
// imports os, and so would order this package's init after os's.)
type adviceError struct {
	advice string
	errno  syscall.Errno
}

func (e *adviceError) Error() string { return "madvise " + e.advice + ": " + e.errno.Error() }
func (e *adviceError) Unwrap() error { return e.errno }
