package utils

import (
	"bufio"
	"io"
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
// Dropping is not enough on a kernel whose page cache holds the binary in
// large folios (ext4 has them since 6.16; a freshly linked or copied file
// is cached in folios up to 2 MiB): a fault maps the whole folio the
// faulting page is in, by PMD or by fault-around, so the first few
// instructions run after the trim brought ~6 MiB of the binary back. The
// kernel maps a folio whole only when the folio lies within one mapping,
// so the read-only mappings are first cut into trimChunk pieces: a fault
// then maps at most one piece.
func TrimResident() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return
	}
	regions, err := trimmable(f, exe)
	f.Close()
	if err != nil {
		return
	}
	for _, r := range regions {
		splitMapping(r[0], r[1])
		// MADV_DONTNEED on clean pages of a private, read-only file
		// mapping only unmaps them from this process.
		unix.Syscall(unix.SYS_MADVISE, uintptr(r[0]), uintptr(r[1]-r[0]), unix.MADV_DONTNEED) //nolint:errcheck // best effort
	}
}

// trimChunk is the most of the binary one fault can map back after
// TrimResident. An idle monitor touches a few dozen scattered pages of
// code; each fault maps back its whole piece, so the pieces are small:
// 16 KiB keeps ~450 KiB of mydocker-monitor resident where 256 KiB
// pieces kept ~1.1 MiB. It costs ~300 mappings for mydocker-monitor
// (~1,300 for mydocker itself), ~200 bytes of kernel memory each.
const trimChunk = 16 << 10

// splitMapping cuts the mapping [start, end) into trimChunk pieces that
// the kernel cannot merge again: every other piece is marked
// MADV_NOHUGEPAGE, so neighbours differ in their flags. The mark changes
// nothing else: it forbids a PMD mapping, which a piece is too small to
// hold anyway.
func splitMapping(start, end uint64) {
	for a := start + trimChunk; a < end; a += 2 * trimChunk {
		n := min(uint64(trimChunk), end-a)
		unix.Syscall(unix.SYS_MADVISE, uintptr(a), uintptr(n), unix.MADV_NOHUGEPAGE) //nolint:errcheck // best effort: unsplit, the trim still drops the pages
	}
}

// trimmable lists the [start, end) ranges of exe's mappings in smaps that
// are safe to drop: read-only and without private (copied-on-write)
// pages. Dropping a written page of a private mapping would revert it to
// the file's bytes, and the RELRO area holds relocations applied at
// start-up that way before it was made read-only.
func trimmable(smaps io.Reader, exe string) ([][2]uint64, error) {
	type mapping struct {
		start, end uint64
		written    bool
	}
	var maps []mapping
	var cur *mapping
	sc := bufio.NewScanner(smaps)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if !strings.HasSuffix(fields[0], ":") {
			// A mapping's header: "start-end perms offset dev inode [path]".
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
			cur.written = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var out [][2]uint64
	for _, m := range maps {
		if !m.written {
			out = append(out, [2]uint64{m.start, m.end})
		}
	}
	return out, nil
}
