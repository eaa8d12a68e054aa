package cgroups

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"mydocker/utils"
)

// The memory controller: --memory, --memory-swap, --memory-reservation, the usage and limit stats shows, and
// whether the kernel killed a process for lack of memory.
var memoryController = controller{
	name:    "memory",
	setV1:   setMemoryV1,
	setV2:   setMemoryV2,
	statsV1: memoryStatsV1,
	statsV2: memoryStatsV2,
}

// setMemoryV1 writes the hard limit, memory+swap and the soft limit. The
// kernel keeps memory.limit_in_bytes <= memory.memsw.limit_in_bytes at
// every moment, so when the new memory limit is above the current
// memory+swap limit (raising both, or lifting swap to -1) memsw goes
// first; otherwise memory does, as runc orders them.
func setMemoryV1(dir string, r *Resources) error {
	if r.MemoryReservation > 0 {
		if err := writeFile(dir, "memory.soft_limit_in_bytes", strconv.FormatInt(r.MemoryReservation, 10)); err != nil {
			return err
		}
	}
	if r.Memory <= 0 {
		return nil
	}
	limit := strconv.FormatInt(r.Memory, 10)
	swap := ""
	if _, err := os.Stat(filepath.Join(dir, "memory.memsw.limit_in_bytes")); err == nil {
		// A kernel without swap accounting has no memsw file: the limit
		// then holds without swap, as Docker warns at run.
		swap = strconv.FormatInt(memswV1(r), 10)
	}
	swapFirst := false
	if swap != "" {
		cur, err := readInt(dir, "memory.memsw.limit_in_bytes")
		swapFirst = err == nil && cur != -1 && (memswV1(r) == -1 || cur < r.Memory)
	}
	if swapFirst {
		if err := writeFile(dir, "memory.memsw.limit_in_bytes", swap); err != nil {
			return err
		}
	}
	if err := writeFile(dir, "memory.limit_in_bytes", limit); err != nil {
		return err
	}
	if swap != "" && !swapFirst {
		return writeFile(dir, "memory.memsw.limit_in_bytes", swap)
	}
	return nil
}

// memswV1 is v1's memory+swap limit for r: Docker's default, when only
// --memory is given, lets the container swap as much again as its memory.
func memswV1(r *Resources) int64 {
	if r.MemorySwap == 0 {
		return 2 * r.Memory
	}
	return r.MemorySwap
}

// swapMaxV2 is v2's memory.swap.max for r: v2 limits swap alone, not
// memory plus swap.
func swapMaxV2(r *Resources) string {
	sw := memswV1(r)
	if sw == -1 {
		return "max"
	}
	return strconv.FormatInt(sw-r.Memory, 10)
}

func setMemoryV2(dir string, r *Resources) error {
	if r.MemoryReservation > 0 {
		if err := writeFile(dir, "memory.low", strconv.FormatInt(r.MemoryReservation, 10)); err != nil {
			return err
		}
	}
	if r.Memory <= 0 {
		return nil
	}
	if err := writeFile(dir, "memory.max", strconv.FormatInt(r.Memory, 10)); err != nil {
		return err
	}
	// Swap, where the kernel accounts it (CONFIG_MEMCG_SWAP).
	return writeIfPresent(dir, "memory.swap.max", swapMaxV2(r))
}

// SwapAccounting reports whether the kernel can limit a container's swap
// (v1's memory.memsw files, v2's memory.swap.max). Docker runs without a
// swap limit, with a warning, where it cannot.
func SwapAccounting() bool {
	l, err := hostLayout()
	if err != nil {
		return false
	}
	if l.mode == V2 {
		// The root cgroup has no memory files: look at the cgroups below
		// it that have the memory controller (memory.max).
		limited, _ := filepath.Glob(filepath.Join(l.mounts[""], "*", "memory.max"))
		for _, f := range limited {
			if _, err := os.Stat(filepath.Join(filepath.Dir(f), "memory.swap.max")); err == nil {
				return true
			}
		}
		// None has memory enabled yet: cannot tell, and setMemoryV2
		// writes swap only where the kernel offers it.
		return len(limited) == 0
	}
	mp, ok := l.mounts["memory"]
	if !ok {
		return false
	}
	_, err = os.Stat(filepath.Join(mp, "memory.memsw.limit_in_bytes"))
	return err == nil
}

func memoryStatsV1(dir string, st *Stats) error {
	var err error
	if st.MemoryUsage, err = readUint(dir, "memory.usage_in_bytes"); err != nil {
		return err
	}
	if err := withoutInactiveFile(dir, "total_inactive_file", st); err != nil {
		return err
	}
	limit, err := readUint(dir, "memory.limit_in_bytes")
	if err != nil {
		return err
	}
	if limit < st.MemoryLimit || st.MemoryLimit == 0 {
		st.MemoryLimit = limit // "unlimited" reads as a huge number
	}
	return nil
}

func memoryStatsV2(dir string, st *Stats) error {
	var err error
	if st.MemoryUsage, err = readUint(dir, "memory.current"); err != nil {
		return err
	}
	if err := withoutInactiveFile(dir, "inactive_file", st); err != nil {
		return err
	}
	limit, err := readUint(dir, "memory.max")
	if err != nil {
		return err
	}
	if limit > 0 { // "max" reads as 0
		st.MemoryLimit = limit
	}
	return nil
}

// withoutInactiveFile takes the page cache the kernel would drop first
// (memory.stat's key: v1 total_inactive_file, v2 inactive_file) out of
// the usage, as docker stats does: a container that read a big file once
// is not using that memory.
func withoutInactiveFile(dir, key string, st *Stats) error {
	inactive, err := keyedValue(dir, "memory.stat", key)
	if err != nil {
		return err
	}
	if inactive < st.MemoryUsage {
		st.MemoryUsage -= inactive
	}
	return nil
}

// oomKilled reads the kernel's count of OOM kills in the memory cgroup
// dir from file: memory.oom_control on v1, memory.events on v2. A kernel
// without the count (file or key missing) has killed nothing we can see.
func oomKilled(dir, file string) (bool, error) {
	n, err := keyedValue(dir, file, "oom_kill")
	if err != nil {
		if os.IsNotExist(errors.Cause(err)) {
			return false, nil
		}
		return false, err
	}
	return n > 0, nil
}

// ParseMemory parses a memory size: a number of bytes with an optional
// unit b, k, m or g (any case, optionally followed by b: 32m, 32MB, 1g).
// Like every parser here, its error says what is wrong with the value;
// the caller names the flag.
func ParseMemory(s string) (int64, error) {
	v, err := utils.ParseSize(s)
	if err != nil {
		return 0, errors.New("want a size such as 32m or 1g")
	}
	if v < 4<<20 {
		return 0, errors.New("at least 4m is needed to start a container")
	}
	return v, nil
}

// ParseMemorySwap parses --memory-swap: memory plus swap as a size, or -1
// for unlimited swap.
func ParseMemorySwap(s string) (int64, error) {
	if strings.TrimSpace(s) == "-1" {
		return -1, nil
	}
	v, err := utils.ParseSize(s)
	if err != nil || v <= 0 {
		return 0, errors.New("want a size such as 64m, or -1 for unlimited swap")
	}
	return v, nil
}

// ParseMemoryReservation parses --memory-reservation, a size.
func ParseMemoryReservation(s string) (int64, error) {
	v, err := utils.ParseSize(s)
	if err != nil || v <= 0 {
		return 0, errors.New("want a size such as 32m or 1g")
	}
	return v, nil
}

// CheckMemory checks the memory limits together, with Docker's rules:
// memory+swap needs a memory limit and must not be below it, and the soft
// limit must be below the hard one.
func CheckMemory(r *Resources) error {
	if r.MemorySwap != 0 && r.Memory == 0 {
		return errors.New("--memory-swap needs --memory: it limits memory plus swap")
	}
	if r.MemorySwap > 0 && r.MemorySwap < r.Memory {
		return errors.Errorf("--memory-swap %s is below --memory %s: it counts memory plus swap", utils.FormatSize(r.MemorySwap), utils.FormatSize(r.Memory))
	}
	if r.Memory > 0 && r.MemoryReservation > r.Memory {
		return errors.Errorf("--memory-reservation %s is above --memory %s", utils.FormatSize(r.MemoryReservation), utils.FormatSize(r.Memory))
	}
	return nil
}
