package security

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// runFilter interprets the classic BPF instructions the filter uses
// (absolute word loads, jeq/jge/jset, ret) over one seccomp_data, the way
// the kernel would, so the test checks what the filter decides rather
// than how it looks.
func runFilter(t *testing.T, prog []unix.SockFilter, arch uint32, nr int, arg0 uint64) uint32 {
	t.Helper()
	var data [64]byte // struct seccomp_data: nr, arch, ip, args[6]
	binary.LittleEndian.PutUint32(data[0:], uint32(nr))
	binary.LittleEndian.PutUint32(data[4:], arch)
	binary.LittleEndian.PutUint64(data[16:], arg0)
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		ins := prog[pc]
		switch ins.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			if ins.K+4 > uint32(len(data)) {
				t.Fatalf("instruction %d loads past seccomp_data", pc)
			}
			acc = binary.LittleEndian.Uint32(data[ins.K:])
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K, unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			var taken bool
			switch ins.Code &^ (unix.BPF_JMP | unix.BPF_K) {
			case unix.BPF_JEQ:
				taken = acc == ins.K
			case unix.BPF_JGE:
				taken = acc >= ins.K
			case unix.BPF_JSET:
				taken = acc&ins.K != 0
			}
			if taken {
				pc += int(ins.Jt)
			} else {
				pc += int(ins.Jf)
			}
		case unix.BPF_RET | unix.BPF_K:
			return ins.K
		default:
			t.Fatalf("instruction %d: opcode %#x the interpreter does not know", pc, ins.Code)
		}
	}
	t.Fatal("the filter ran off its end without a verdict")
	return 0
}

func TestSeccompFilterDecisions(t *testing.T) {
	prog, err := seccompFilter()
	if err != nil {
		t.Fatal(err)
	}
	const (
		x86_64 = unix.AUDIT_ARCH_X86_64
		allow  = unix.SECCOMP_RET_ALLOW
		eperm  = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
		enosys = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	)
	// Named here rather than taken from blockedSyscalls, so dropping one
	// from the filter's list fails this test.
	mustBlock := map[string]int{
		"acct": unix.SYS_ACCT, "add_key": unix.SYS_ADD_KEY, "bpf": unix.SYS_BPF,
		"clock_adjtime": unix.SYS_CLOCK_ADJTIME, "clock_settime": unix.SYS_CLOCK_SETTIME,
		"delete_module": unix.SYS_DELETE_MODULE, "finit_module": unix.SYS_FINIT_MODULE,
		"init_module": unix.SYS_INIT_MODULE, "ioperm": unix.SYS_IOPERM, "iopl": unix.SYS_IOPL,
		"kcmp": unix.SYS_KCMP, "kexec_file_load": unix.SYS_KEXEC_FILE_LOAD, "kexec_load": unix.SYS_KEXEC_LOAD,
		"keyctl": unix.SYS_KEYCTL, "mount": unix.SYS_MOUNT, "move_pages": unix.SYS_MOVE_PAGES,
		"name_to_handle_at": unix.SYS_NAME_TO_HANDLE_AT, "open_by_handle_at": unix.SYS_OPEN_BY_HANDLE_AT,
		"perf_event_open": unix.SYS_PERF_EVENT_OPEN, "pivot_root": unix.SYS_PIVOT_ROOT,
		"process_vm_readv": unix.SYS_PROCESS_VM_READV, "process_vm_writev": unix.SYS_PROCESS_VM_WRITEV,
		"quotactl": unix.SYS_QUOTACTL, "reboot": unix.SYS_REBOOT, "request_key": unix.SYS_REQUEST_KEY,
		"setns": unix.SYS_SETNS, "settimeofday": unix.SYS_SETTIMEOFDAY, "swapon": unix.SYS_SWAPON,
		"swapoff": unix.SYS_SWAPOFF, "umount2": unix.SYS_UMOUNT2, "unshare": unix.SYS_UNSHARE,
		"userfaultfd": unix.SYS_USERFAULTFD, "fsopen": unix.SYS_FSOPEN, "fsmount": unix.SYS_FSMOUNT,
		"move_mount": unix.SYS_MOVE_MOUNT, "open_tree": unix.SYS_OPEN_TREE, "pidfd_getfd": unix.SYS_PIDFD_GETFD,
		"io_uring_setup": unix.SYS_IO_URING_SETUP, "io_uring_enter": unix.SYS_IO_URING_ENTER,
		"io_uring_register": unix.SYS_IO_URING_REGISTER,
	}
	for name, nr := range mustBlock {
		if got := runFilter(t, prog, x86_64, nr, 0); got != eperm {
			t.Errorf("%s: verdict %#x, want EPERM", name, got)
		}
	}
	for _, nr := range blockedSyscalls {
		if got := runFilter(t, prog, x86_64, int(nr), 0); got != eperm {
			t.Errorf("listed syscall %d: verdict %#x, want EPERM", nr, got)
		}
	}
	for name, nr := range map[string]int{
		"read": unix.SYS_READ, "write": unix.SYS_WRITE, "openat": unix.SYS_OPENAT, "execve": unix.SYS_EXECVE,
		"chown": unix.SYS_CHOWN, "socket": unix.SYS_SOCKET, "wait4": unix.SYS_WAIT4, "fork": unix.SYS_FORK,
	} {
		if got := runFilter(t, prog, x86_64, nr, 0); got != allow {
			t.Errorf("%s: verdict %#x, want ALLOW", name, got)
		}
	}
	// clone: a plain fork or thread is allowed, any namespace flag is not.
	const thread = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND | unix.CLONE_THREAD
	if got := runFilter(t, prog, x86_64, unix.SYS_CLONE, thread); got != allow {
		t.Errorf("clone of a thread: verdict %#x, want ALLOW", got)
	}
	if got := runFilter(t, prog, x86_64, unix.SYS_CLONE, uint64(unix.SIGCHLD)); got != allow {
		t.Errorf("clone as fork: verdict %#x, want ALLOW", got)
	}
	for name, flag := range map[string]uint64{
		"CLONE_NEWUSER": unix.CLONE_NEWUSER, "CLONE_NEWNS": unix.CLONE_NEWNS, "CLONE_NEWPID": unix.CLONE_NEWPID,
		"CLONE_NEWNET": unix.CLONE_NEWNET, "CLONE_NEWUTS": unix.CLONE_NEWUTS, "CLONE_NEWIPC": unix.CLONE_NEWIPC,
		"CLONE_NEWCGROUP": unix.CLONE_NEWCGROUP,
	} {
		if got := runFilter(t, prog, x86_64, unix.SYS_CLONE, flag|uint64(unix.SIGCHLD)); got != eperm {
			t.Errorf("clone with %s: verdict %#x, want EPERM", name, got)
		}
	}
	// clone3 hides its flags in memory: ENOSYS sends libc back to clone.
	if got := runFilter(t, prog, x86_64, unix.SYS_CLONE3, 0); got != enosys {
		t.Errorf("clone3: verdict %#x, want ENOSYS", got)
	}
	// Other ABIs would bypass the numbers above: refused outright.
	if got := runFilter(t, prog, unix.AUDIT_ARCH_I386, unix.SYS_READ, 0); got != eperm {
		t.Errorf("i386 read: verdict %#x, want EPERM", got)
	}
	if got := runFilter(t, prog, x86_64, unix.SYS_READ|0x40000000, 0); got != eperm {
		t.Errorf("x32 read: verdict %#x, want EPERM", got)
	}
}
