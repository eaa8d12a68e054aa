package utils

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// TrimResident asks the kernel to drop this process's resident pages of
// its own executable file. A long-lived, mostly idle process (the
// per-container monitor) touched most of the binary while it started; the
// pages stay in the page cache for everyone, and the few it needs while
// waiting are faulted back in. Best effort: errors are ignored.
func TrimResident() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// Only read-only mappings (text, rodata): they are re-read from the
		// file when touched again. Writable data must never be dropped.
		if len(fields) < 6 || fields[5] != exe || strings.Contains(fields[1], "w") {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		// MADV_DONTNEED on a private, clean, read-only file mapping only
		// unmaps the pages from this process.
		unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED) //nolint:errcheck // best effort
	}
}
