package tests

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// exeMapping is one mapping of a process's executable, from its smaps.
type exeMapping struct {
	start, end uint64
	perms      string
	rssKiB     int // resident
	pmdKiB     int // FilePmdMapped: resident through huge (PMD) mappings
	anonKiB    int // Anonymous: pages written (copied on write)
	flags      []string
}

// exeMappings reads /proc/PID/smaps and returns the mappings of the
// process's own executable file.
func exeMappings(t *testing.T, pid int) []exeMapping {
	t.Helper()
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var maps []exeMapping
	var cur *exeMapping
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if !strings.HasSuffix(fields[0], ":") {
			cur = nil
			if len(fields) < 6 || fields[5] != exe {
				continue
			}
			lo, hi, _ := strings.Cut(fields[0], "-")
			start, err1 := strconv.ParseUint(lo, 16, 64)
			end, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 != nil || err2 != nil {
				t.Fatalf("smaps header %q", sc.Text())
			}
			maps = append(maps, exeMapping{start: start, end: end, perms: fields[1]})
			cur = &maps[len(maps)-1]
			continue
		}
		if cur == nil {
			continue
		}
		kib := 0
		if len(fields) >= 2 {
			kib, _ = strconv.Atoi(fields[1])
		}
		switch fields[0] {
		case "Rss:":
			cur.rssKiB = kib
		case "FilePmdMapped:":
			cur.pmdKiB = kib
		case "Anonymous:":
			cur.anonKiB = kib
		case "VmFlags:":
			cur.flags = fields[1:]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(maps) == 0 {
		t.Fatalf("no mapping of %s in /proc/%d/smaps", exe, pid)
	}
	return maps
}

func hasFlag(m exeMapping, flag string) bool {
	for _, f := range m.flags {
		if f == flag {
			return true
		}
	}
	return false
}

// An idle detached container's monitor gives back the pages of its
// binary (mydocker-monitor) it needed only to start, and they stay given back: its
// read-only mappings of the binary are cut into pieces small enough that
// the kernel cannot map a large page-cache folio (up to 2 MiB of a freshly
// built binary) back whole on the next instruction fetch. Without the cut
// the trim was undone at once: all of the binary resident again.
// The monitor still does its work afterwards: logs, stop.
func TestMonitorTrimsBinaryForGood(t *testing.T) {
	e := newEnv(t)
	// The container prints only when told: until then its monitor is
	// idle, and what it holds resident is what the trim left, not pages
	// the copy to the log brought back after it (the test would then
	// measure when the copy ran, not the trim; CI's VM caught that).
	dir := t.TempDir()
	id := e.ok("run", "-d", "--network", "none", "-v", dir+":/w", "busybox", "sh", "-c",
		"while [ ! -e /w/go ]; do sleep 0.05; done; echo started; exec sleep 1000")
	// The image that watches: the monitor execs itself afresh once the
	// container runs, and trims after that.
	monitor := e.adopted(id)
	// The monitor trims right after it has reported the start, one mapping
	// after the other: wait until every read-only mapping is cut and its
	// pages dropped, not just the first (CI once looked in between and saw
	// the rodata mapping still whole). Without the cut this never holds and
	// the wait fails with what it last saw.
	var last []string
	trimmed := func() bool {
		last = trimProblems(t, monitor, true)
		return len(last) == 0
	}
	deadline := time.Now().Add(20 * time.Second)
	for !trimmed() {
		if time.Now().After(deadline) {
			t.Fatalf("the idle monitor did not give back the binary's pages for good:\n%s", strings.Join(last, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The copy to the log goes on after the trim, and the cut stays: the
	// pages the copy needed come back, no large folio with them.
	if err := os.WriteFile(dir+"/go", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the container's output in its log", func() bool { return e.ok("logs", id) == "started" })
	if problems := trimProblems(t, monitor, false); len(problems) != 0 {
		t.Errorf("after the monitor copied output:\n%s", strings.Join(problems, "\n"))
	}
	e.ok("stop", "-t", "1", id)
	if st := e.state(id); st["Status"] != "exited" {
		t.Fatalf("state after stop: %v", st)
	}
	e.ok("rm", id)
	e.assertNothingLeft()
}

// trimProblems says why the monitor pid does not hold its binary trimmed
// for good: a mapping of the binary mapped by huge pages, a read-only one
// long enough that a fault may map a large folio of it back whole, or too
// many read-only pages resident (if resident). Empty when it does.
func trimProblems(t *testing.T, pid int, resident bool) []string {
	t.Helper()
	const chunk = 16 << 10 // utils.trimChunk
	var problems []string
	readOnlyKiB := 0
	for _, m := range exeMappings(t, pid) {
		if m.pmdKiB != 0 {
			problems = append(problems, fmt.Sprintf("mapping %x-%x %s: %d KiB mapped by huge pages", m.start, m.end, m.perms, m.pmdKiB))
		}
		if strings.Contains(m.perms, "w") || m.anonKiB != 0 {
			continue // data, and the relocated RELRO area: never dropped
		}
		readOnlyKiB += m.rssKiB
		if m.end-m.start > chunk {
			problems = append(problems, fmt.Sprintf("read-only mapping %x-%x %s spans %d KiB", m.start, m.end, m.perms, (m.end-m.start)>>10))
		}
	}
	// Measured for mydocker-monitor: ~0.4 MiB after the trim in 16 KiB
	// pieces (~1.1 MiB in 256 KiB ones); ~4.3 MiB when it is undone.
	if resident && readOnlyKiB > 1<<10 {
		problems = append(problems, fmt.Sprintf("%d KiB of the binary's read-only pages resident", readOnlyKiB))
	}
	return problems
}
