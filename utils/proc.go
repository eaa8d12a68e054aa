package utils

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// ProcStartTime reads the start time of pid (field 22 of /proc/pid/stat),
// which tells a live process apart from an unrelated one that reused its
// pid. It returns 0 if pid does not exist or has already exited: a zombie
// waiting to be reaped is not doing anything.
func ProcStartTime(pid int) uint64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// comm may contain spaces and parentheses: fields start after the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 20 || fields[0] == "Z" || fields[0] == "X" {
		return 0
	}
	v, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return 0
	}
	return v
}
