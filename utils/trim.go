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
// per-container monitor) touched much of the binary while it started; the
// pages stay in the page cache for everyone, and the few it needs while
// waiting are faulted back in. Best effort: errors are ignored.
//
// Only mappings that are read-only and hold no private (copied-on-write)
// pages qualify: dropping a written page of a private mapping would revert
// it to the file's bytes, and the RELRO area holds relocations applied at
// start-up that way.
func TrimResident() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return
	}
	defer f.Close()
	type mapping struct {
		start, end uint64
		anonymous  bool
	}
	var maps []mapping
	var cur *mapping
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if strings.Contains(fields[0], "-") && len(fields) >= 5 {
			// A mapping's header line: "start-end perms offset dev inode [path]".
			cur = nil
			if len(fields) < 6 || fields[5] != exe || strings.Contains(fields[1], "w") {
				continue
			}
			lo, hi, _ := strings.Cut(fields[0], "-")
			start, err1 := strconv.ParseUint(lo, 16, 64)
			end, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 != nil || err2 != nil || end <= start {
				continue
			}
			maps = append(maps, mapping{start: start, end: end})
			cur = &maps[len(maps)-1]
			continue
		}
		if cur != nil && fields[0] == "Anonymous:" && len(fields) >= 2 && fields[1] != "0" {
			cur.anonymous = true
		}
	}
	if sc.Err() != nil {
		return
	}
	for _, m := range maps {
		if m.anonymous {
			continue
		}
		// MADV_DONTNEED on clean pages of a private, read-only file
		// mapping only unmaps them from this process.
		unix.Syscall(unix.SYS_MADVISE, uintptr(m.start), uintptr(m.end-m.start), unix.MADV_DONTNEED) //nolint:errcheck // best effort
	}
}
