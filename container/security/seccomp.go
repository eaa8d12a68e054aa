package security

import (
	"runtime"
	"unsafe"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// blockedSyscalls are refused with EPERM by the default filter: what
// Docker's default profile denies an unprivileged container (loading
// kernel code, changing the clock, rebooting, keyrings, bpf, mounting and
// new namespaces, reaching other processes' memory, swap, ...), and, as
// Docker's profile does since 25.0, io_uring: its operations bypass the
// filter (one ring submission is many system calls the filter never sees)
// and it has been a steady source of kernel exploits.
var blockedSyscalls = []uintptr{
	unix.SYS_ACCT, unix.SYS_ADD_KEY, unix.SYS_BPF, unix.SYS_CLOCK_ADJTIME, unix.SYS_CLOCK_SETTIME,
	unix.SYS_CREATE_MODULE, unix.SYS_DELETE_MODULE, unix.SYS_FINIT_MODULE, unix.SYS_GET_KERNEL_SYMS,
	unix.SYS_GET_MEMPOLICY, unix.SYS_INIT_MODULE, unix.SYS_IOPERM, unix.SYS_IOPL, unix.SYS_KCMP,
	unix.SYS_KEXEC_FILE_LOAD, unix.SYS_KEXEC_LOAD, unix.SYS_KEYCTL, unix.SYS_LOOKUP_DCOOKIE,
	unix.SYS_MBIND, unix.SYS_MOUNT, unix.SYS_MOVE_PAGES, unix.SYS_NAME_TO_HANDLE_AT,
	unix.SYS_NFSSERVCTL, unix.SYS_OPEN_BY_HANDLE_AT, unix.SYS_PERF_EVENT_OPEN, unix.SYS_PIVOT_ROOT,
	unix.SYS_PROCESS_VM_READV, unix.SYS_PROCESS_VM_WRITEV, unix.SYS_QUERY_MODULE, unix.SYS_QUOTACTL,
	unix.SYS_REBOOT, unix.SYS_REQUEST_KEY, unix.SYS_SET_MEMPOLICY, unix.SYS_SETNS,
	unix.SYS_SETTIMEOFDAY, unix.SYS_SWAPON, unix.SYS_SWAPOFF, unix.SYS_SYSFS, unix.SYS__SYSCTL,
	unix.SYS_UMOUNT2, unix.SYS_UNSHARE, unix.SYS_USELIB, unix.SYS_USERFAULTFD, unix.SYS_USTAT,
	unix.SYS_FSOPEN, unix.SYS_FSCONFIG, unix.SYS_FSMOUNT, unix.SYS_FSPICK, unix.SYS_MOVE_MOUNT,
	unix.SYS_OPEN_TREE, unix.SYS_MOUNT_SETATTR, unix.SYS_PIDFD_GETFD,
	unix.SYS_IO_URING_SETUP, unix.SYS_IO_URING_ENTER, unix.SYS_IO_URING_REGISTER,
}

// cloneNamespaceFlags may not be passed to clone: a new namespace is how
// a container would undo its confinement.
const cloneNamespaceFlags = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWUSER |
	unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP

// seccomp_data offsets (struct seccomp_data in linux/seccomp.h).
const (
	offNr   = 0
	offArch = 4
	offArg0 = 16 // low 32 bits on little-endian
)

func stmt(code uint16, k uint32) unix.SockFilter { return unix.SockFilter{Code: code, K: k} }

func jump(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
	return unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
}

// seccompFilter builds the BPF program. Only native x86-64 system calls
// are allowed: i386 and x32 calls have other numbers and would slip past
// the list, so they are refused outright.
func seccompFilter() ([]unix.SockFilter, error) {
	if runtime.GOARCH != "amd64" {
		return nil, errors.Errorf("the default seccomp filter is only built for amd64 (this is %s): use --security-opt seccomp=unconfined", runtime.GOARCH)
	}
	const (
		ld    = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		jset  = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
		jge   = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
		ret   = unix.BPF_RET | unix.BPF_K
		allow = unix.SECCOMP_RET_ALLOW
		eperm = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
		enosy = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	)
	prog := []unix.SockFilter{
		/* 0 */ stmt(ld, offArch),
		/* 1 */ jump(jeq, unix.AUDIT_ARCH_X86_64, 1, 0),
		/* 2 */ stmt(ret, eperm),
		/* 3 */ stmt(ld, offNr),
		/* 4 */ jump(jge, 0x40000000, 0, 1), // x32 ABI
		/* 5 */ stmt(ret, eperm),
		// clone3 passes its flags in memory a filter cannot read: ENOSYS
		// makes libc fall back to clone, whose flags it can.
		/* 6 */ jump(jeq, unix.SYS_CLONE3, 0, 1),
		/* 7 */ stmt(ret, enosy),
		/* 8 */ jump(jeq, unix.SYS_CLONE, 0, 4), // not clone: on to the list at 13
		/* 9 */ stmt(ld, offArg0),
		/* 10 */ jump(jset, cloneNamespaceFlags, 0, 1),
		/* 11 */ stmt(ret, eperm),
		/* 12 */ stmt(ret, allow),
		/* 13 */ stmt(ld, offNr),
	}
	for _, nr := range blockedSyscalls {
		prog = append(prog, jump(jeq, uint32(nr), 0, 1), stmt(ret, eperm))
	}
	return append(prog, stmt(ret, allow)), nil
}

// installSeccomp installs the default filter on the calling thread; the
// command exec'd from it keeps it.
func installSeccomp() error {
	filter, err := seccompFilter()
	if err != nil {
		return err
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&prog)), 0, 0); err != nil {
		return errors.Wrap(err, "install seccomp filter")
	}
	runtime.KeepAlive(filter)
	return nil
}
