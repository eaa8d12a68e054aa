// sysprobe calls each named system call with harmless, invalid arguments
// and prints "name errno" per call ("name 0" when it succeeded), so a test
// can tell a seccomp refusal (EPERM) from the kernel rejecting the
// arguments. "clone-newuser" forks /bin/true in a new user namespace.
package main

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// bad is a pointer no process maps: calls that get past seccomp fail
// with EFAULT instead of acting.
const bad = 1

var calls = map[string][4]uintptr{
	"acct":              {unix.SYS_ACCT, bad},
	"add_key":           {unix.SYS_ADD_KEY, bad, bad},
	"bpf":               {unix.SYS_BPF, ^uintptr(0)},
	"clock_adjtime":     {unix.SYS_CLOCK_ADJTIME, ^uintptr(0), bad},
	"clock_settime":     {unix.SYS_CLOCK_SETTIME, ^uintptr(0), bad},
	"delete_module":     {unix.SYS_DELETE_MODULE, bad},
	"finit_module":      {unix.SYS_FINIT_MODULE, ^uintptr(0), bad},
	"init_module":       {unix.SYS_INIT_MODULE, bad, 1, bad},
	"iopl":              {unix.SYS_IOPL, 9},
	"kcmp":              {unix.SYS_KCMP, ^uintptr(0), ^uintptr(0), 99},
	"keyctl":            {unix.SYS_KEYCTL, 0xffff},
	"mount":             {unix.SYS_MOUNT, bad, bad, bad},
	"name_to_handle_at": {unix.SYS_NAME_TO_HANDLE_AT, ^uintptr(0), bad, bad},
	"open_by_handle_at": {unix.SYS_OPEN_BY_HANDLE_AT, ^uintptr(0), bad},
	"perf_event_open":   {unix.SYS_PERF_EVENT_OPEN, bad},
	"pivot_root":        {unix.SYS_PIVOT_ROOT, bad, bad},
	"process_vm_readv":  {unix.SYS_PROCESS_VM_READV, 0, bad, 1},
	"quotactl":          {unix.SYS_QUOTACTL, 0, bad},
	"reboot":            {unix.SYS_REBOOT, 0, 0, 0},
	"request_key":       {unix.SYS_REQUEST_KEY, bad, bad},
	"setns":             {unix.SYS_SETNS, ^uintptr(0)},
	"swapoff":           {unix.SYS_SWAPOFF, bad},
	"swapon":            {unix.SYS_SWAPON, bad},
	"umount2":           {unix.SYS_UMOUNT2, bad},
	"unshare":           {unix.SYS_UNSHARE, 0x80000000}, // an unused flag bit: EINVAL
	"userfaultfd":       {unix.SYS_USERFAULTFD, ^uintptr(0)},
	"fsopen":            {unix.SYS_FSOPEN, bad},
	"open_tree":         {unix.SYS_OPEN_TREE, ^uintptr(0), bad},
	"move_mount":        {unix.SYS_MOVE_MOUNT, ^uintptr(0), bad, ^uintptr(0)},
	"pidfd_getfd":       {unix.SYS_PIDFD_GETFD, ^uintptr(0)},
	"io_uring_setup":    {425, 1, bad},
	"io_uring_enter":    {426, 9999}, // a descriptor not open: EBADF
	"io_uring_register": {427, 9999}, // (-1 would mean a ring-less request)
}

func main() {
	for _, name := range os.Args[1:] {
		var errno syscall.Errno
		if name == "clone-newuser" {
			pid, err := syscall.ForkExec("/bin/true", []string{"true"}, &syscall.ProcAttr{
				Sys: &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER},
			})
			if err == nil {
				var ws syscall.WaitStatus
				syscall.Wait4(pid, &ws, 0, nil)
			} else {
				errno, _ = err.(syscall.Errno)
			}
		} else {
			c, ok := calls[name]
			if !ok {
				fmt.Fprintln(os.Stderr, "sysprobe: unknown call", name)
				os.Exit(2)
			}
			_, _, errno = syscall.Syscall6(c[0], c[1], c[2], c[3], 0, 0, 0)
		}
		fmt.Println(name, int(errno))
	}
}
