package utils

import (
	"bytes"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ProcStartTime reads the start time of pid (field 22 of /proc/pid/stat),
// which tells a live process apart from an unrelated one that reused its
// pid. It returns 0 if pid does not exist or has already exited: a zombie
// waiting to be reaped is not doing anything.
func ProcStartTime(pid int) uint64 {
	// ps asks this of every running container: three system calls, not
	// os.ReadFile's seven (stat, poller registration, growing reads).
	path := "/proc/" + strconv.Itoa(pid) + "/stat"
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return 0
	}
	// Room for every field; the start time is the 22nd, well inside.
	var buf [2048]byte
	n, err := unix.Read(fd, buf[:])
	for err == unix.EINTR {
		n, err = unix.Read(fd, buf[:])
	}
	unix.Close(fd)
	if err != nil || n <= 0 {
		return 0
	}
	data := buf[:n]
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
