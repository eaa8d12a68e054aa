package cgroups

import (
	"mydocker/utils"
	"os"
	"strconv"

	"github.com/pkg/errors"
)

// The memory controller: --memory, the usage and limit stats shows, and
// whether the kernel killed a process for lack of memory.
var memoryController = controller{
	name:    "memory",
	setV1:   setMemoryV1,
	setV2:   setMemoryV2,
	statsV1: memoryStatsV1,
	statsV2: memoryStatsV2,
}

func setMemoryV1(dir string, r *Resources) error {
	if r.Memory <= 0 {
		return nil
	}
	limit := strconv.FormatInt(r.Memory, 10)
	if err := writeFile(dir, "memory.limit_in_bytes", limit); err != nil {
		return err
	}
	// With swap accounting, memory+swap gets the same limit so the
	// container cannot escape its limit into swap.
	return writeIfPresent(dir, "memory.memsw.limit_in_bytes", limit)
}

func setMemoryV2(dir string, r *Resources) error {
	if r.Memory <= 0 {
		return nil
	}
	if err := writeFile(dir, "memory.max", strconv.FormatInt(r.Memory, 10)); err != nil {
		return err
	}
	// No escaping the limit into swap, where the kernel offers it.
	return writeIfPresent(dir, "memory.swap.max", "0")
}

func memoryStatsV1(dir string, st *Stats) error {
	var err error
	if st.MemoryUsage, err = readUint(dir, "memory.usage_in_bytes"); err != nil {
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
	limit, err := readUint(dir, "memory.max")
	if err != nil {
		return err
	}
	if limit > 0 { // "max" reads as 0
		st.MemoryLimit = limit
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
