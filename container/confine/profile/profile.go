// Package profile assembles Docker's default seccomp profile into the
// filter the kernel loads. It is the only importer of the seccomp
// library, whose package initialisation (its tables of every
// architecture's system calls) cost each program linking it about as
// much as the rest of its start: so only the host's full CLI links it
// (mydocker-kube, and a plain go build), and the lean programs started
// on every run get its filters from the root's cache, or from
// mydocker-kube on a miss (container/seccompcache.go).
package profile

import (
	"runtime"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/moby/sys/capability"
	"github.com/pkg/errors"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// The default filter is Docker's default profile (moby/profiles,
// seccomp/default.json) for amd64, written as Docker ships it: an
// allowlist, every other system call refused with EPERM. A system call
// added to a new kernel is refused until it is added here, rather than
// allowed until someone notices it should not be.

// dockerAllowed is what the profile allows every container on amd64.
// Left out, as Docker leaves it out: io_uring (since Docker 25.0: one
// ring submission is many system calls the filter never sees, and it has
// been a steady source of kernel exploits), keyrings, kexec, swap,
// userfaultfd, and everything the capability groups below hold back.
var dockerAllowed = []string{
	"accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget",
	"capset", "chdir", "chmod", "chown", "clock_adjtime", "clock_getres", "clock_gettime",
	"clock_nanosleep", "close", "close_range", "connect", "copy_file_range", "creat", "dup", "dup2",
	"dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
	"epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat",
	"exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fallocate", "fanotify_mark",
	"fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchownat", "fcntl", "fdatasync",
	"fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstatfs",
	"fsync", "ftruncate", "futex", "futex_requeue", "futex_wait", "futex_waitv", "futex_wake",
	"futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "geteuid", "getgid",
	"getgroups", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
	"getrandom", "getresgid", "getresuid", "getrlimit", "get_robust_list", "getrusage", "getsid",
	"getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getxattr",
	"getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
	"io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents", "ioprio_get", "ioprio_set",
	"io_setup", "io_submit", "kill", "landlock_add_rule", "landlock_create_ruleset",
	"landlock_restrict_self", "lchown", "lgetxattr", "link", "linkat", "listen", "listmount",
	"listxattr", "listxattrat", "llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat",
	"madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir",
	"mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mprotect", "mq_getsetattr",
	"mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend", "mq_unlink", "mremap", "mseal",
	"msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
	"name_to_handle_at", "nanosleep", "newfstatat", "open", "openat", "openat2", "pause",
	"pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect",
	"poll", "ppoll", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease",
	"pselect6", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat",
	"readv", "recvfrom", "recvmmsg", "recvmsg", "remap_file_pages", "removexattr", "removexattrat",
	"rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction",
	"rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
	"rt_sigtimedwait", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam",
	"sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
	"sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield",
	"seccomp", "select", "semctl", "semget", "semop", "semtimedop", "sendfile", "sendmmsg", "sendmsg",
	"sendto", "setfsgid", "setfsuid", "setgid", "setgroups", "setitimer", "setpgid", "setpriority",
	"setregid", "setresgid", "setresuid", "setreuid", "setrlimit", "set_robust_list", "setsid",
	"setsockopt", "set_thread_area", "set_tid_address", "setuid", "setxattr", "setxattrat", "shmat",
	"shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "socketpair",
	"splice", "stat", "statfs", "statmount", "statx", "symlink", "symlinkat", "sync",
	"sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
	"timer_getoverrun", "timer_gettime", "timer_settime", "timerfd_create", "timerfd_gettime",
	"timerfd_settime", "times", "tkill", "truncate", "umask", "uname", "unlink", "unlinkat",
	"uretprobe", "utime", "utimensat", "utimes", "vfork", "vmsplice", "wait4", "waitid", "write",
	"writev",
	// The profile's groups for kernels from 4.8 and for amd64.
	"process_vm_readv", "process_vm_writev", "ptrace", "arch_prctl", "modify_ldt",
}

// capabilityAllowed is what the profile allows a container holding one
// capability, on top of dockerAllowed.
var capabilityAllowed = []struct {
	cap   capability.Cap
	names []string
}{
	{capability.CAP_DAC_READ_SEARCH, []string{"open_by_handle_at"}},
	{capability.CAP_SYS_ADMIN, []string{"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount",
		"fsopen", "fspick", "lookup_dcookie", "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr",
		"mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl", "quotactl_fd",
		"setdomainname", "sethostname", "setns", "syslog", "umount2", "unshare"}},
	{capability.CAP_SYS_BOOT, []string{"reboot"}},
	{capability.CAP_SYS_CHROOT, []string{"chroot"}},
	{capability.CAP_SYS_MODULE, []string{"delete_module", "init_module", "finit_module"}},
	{capability.CAP_SYS_PACCT, []string{"acct"}},
	{capability.CAP_SYS_PTRACE, []string{"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
		"process_vm_writev", "ptrace"}},
	{capability.CAP_SYS_RAWIO, []string{"iopl", "ioperm"}},
	{capability.CAP_SYS_TIME, []string{"settimeofday", "clock_settime"}},
	{capability.CAP_SYS_TTY_CONFIG, []string{"vhangup"}},
	{capability.CAP_SYS_NICE, []string{"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
	{capability.CAP_SYSLOG, []string{"syslog"}},
	{capability.CAP_BPF, []string{"bpf"}},
	{capability.CAP_PERFMON, []string{"perf_event_open"}},
}

// cloneNamespaceFlags may not be passed to clone without CAP_SYS_ADMIN
// (the profile's mask 0x7e020000): a new namespace is how a container
// would undo its confinement.
const cloneNamespaceFlags = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWUSER |
	unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP

// Address families the profile refuses to socket(2).
const (
	afALG   = 38 // the kernel's crypto API
	afVSOCK = 40 // the hypervisor's sockets
)

// cloneRule is how a container without CAP_SYS_ADMIN may clone: a plain
// fork or thread, never a new namespace (clone's flags are the lower
// half: what it reads, all of it checked).
var cloneRule = seccomp.NameWithConditions{Name: "clone", Conditions: seccomp.ArgumentConditions{
	{Argument: 0, Operation: seccomp.BitsNotSet, Value: cloneNamespaceFlags},
}}

// argRules are the profile's other rules that look at an argument: each
// condition set allows the call on its own. socket and personality take
// an int, so the kernel ignores the upper half of the register: every
// rule pins it to zero, or socket(1<<32 | AF_VSOCK) would pass as a
// family above AF_VSOCK (Docker's profile compares all 64 bits).
var argRules = []seccomp.NameWithConditions{
	{Name: "socket", Conditions: seccomp.ArgumentConditions{{Argument: 0, Operation: seccomp.LessThan, Value: afALG}}},
	{Name: "socket", Conditions: seccomp.ArgumentConditions{{Argument: 0, Operation: seccomp.Equal, Value: afALG + 1}}},
	{Name: "socket", Conditions: seccomp.ArgumentConditions{
		{Argument: 0, Operation: seccomp.GreaterThan, Value: afVSOCK},
		{Argument: 0, Operation: seccomp.LessThan, Value: 1 << 32},
	}},
	// PER_LINUX, PER_LINUX32, UNAME26, PER_LINUX32|UNAME26 and the query
	// 0xffffffff: not the personalities that turn off address space
	// randomisation or map page zero.
	{Name: "personality", Conditions: seccomp.ArgumentConditions{{Argument: 0, Operation: seccomp.Equal, Value: 0x0}}},
	{Name: "personality", Conditions: seccomp.ArgumentConditions{{Argument: 0, Operation: seccomp.Equal, Value: 0x8}}},
	{Name: "personality", Conditions: seccomp.ArgumentConditions{{Argument: 0, Operation: seccomp.Equal, Value: 0x20000}}},
	{Name: "personality", Conditions: seccomp.ArgumentConditions{{Argument: 0, Operation: seccomp.Equal, Value: 0x20008}}},
	{Name: "personality", Conditions: seccomp.ArgumentConditions{{Argument: 0, Operation: seccomp.Equal, Value: 0xffffffff}}},
}

// enosys answers clone3 without CAP_SYS_ADMIN: it passes its flags in
// memory a filter cannot read, so the filter cannot tell a thread from a
// new namespace; ENOSYS makes libc fall back to clone, whose flags it can.
const enosys = seccomp.ActionErrno | seccomp.Action(unix.ENOSYS)

// seccompPolicy is the default profile for a container holding the
// capabilities in caps (a bitmask): dockerAllowed, the groups of
// capabilityAllowed for the capabilities it holds, and the argument
// rules, as Docker applies them. Only native x86-64 system calls are
// allowed: i386 and x32 calls have other numbers and would slip past the
// list, so the library's program refuses them outright (i386 with EPERM,
// x32 with ENOSYS, as a kernel without x32 does).
func seccompPolicy(caps uint64) (*seccomp.Policy, error) {
	if runtime.GOARCH != "amd64" {
		return nil, errors.Errorf("the default seccomp filter is only built for amd64 (this is %s): use --security-opt seccomp=unconfined", runtime.GOARCH)
	}
	holds := func(c capability.Cap) bool { return caps&(1<<uint(c)) != 0 }
	// Each name once: the library refuses a list with duplicates, and
	// groups overlap (syslog is CAP_SYS_ADMIN's and CAP_SYSLOG's).
	seen := make(map[string]bool, len(dockerAllowed))
	var allowed []string
	add := func(names []string) {
		for _, name := range names {
			if !seen[name] {
				seen[name] = true
				allowed = append(allowed, name)
			}
		}
	}
	add(dockerAllowed)
	for _, g := range capabilityAllowed {
		if holds(g.cap) {
			add(g.names)
		}
	}
	groups := []seccomp.SyscallGroup{{Names: allowed, Action: seccomp.ActionAllow}}
	// With CAP_SYS_ADMIN, clone and clone3 are in allowed, whatever
	// their flags: such a container may make namespaces anyway (unshare).
	rules := argRules
	if !holds(capability.CAP_SYS_ADMIN) {
		groups = append(groups, seccomp.SyscallGroup{Names: []string{"clone3"}, Action: enosys})
		rules = append([]seccomp.NameWithConditions{cloneRule}, argRules...)
	}
	// The argument rules come last, and in the order clone, socket,
	// personality: after a failed argument check the library's program
	// goes on comparing the loaded argument, not the call's number, with
	// the calls that follow. Last, only other argument rules follow, and
	// no argument that fails a rule is let through by a later one:
	// clone's fail with a namespace bit (>= 0x20000, no call's number),
	// socket's with 38, 40 or a non-zero upper half (which every
	// personality rule refuses), and personality is last.
	groups = append(groups, seccomp.SyscallGroup{NamesWithCondtions: rules, Action: seccomp.ActionAllow})
	return &seccomp.Policy{
		DefaultAction: seccomp.ActionErrno, // EPERM
		Syscalls:      groups,
	}, nil
}

// Program is the default filter for a process that keeps caps, assembled
// into the instructions seccomp(2) loads, with a search over the call's
// number in front (searchTree) so the kernel loads it quickly. Neither
// init nor exec's stub assembles it: the host hands it to both ready-made
// (container.CachedSeccompProgram).
func Program(caps uint64) ([]unix.SockFilter, error) {
	policy, err := seccompPolicy(caps)
	if err != nil {
		return nil, err
	}
	insts, err := policy.Assemble()
	if err != nil {
		return nil, errors.Wrap(err, "assemble seccomp policy")
	}
	raw, err := bpf.Assemble(insts)
	if err != nil {
		return nil, errors.Wrap(err, "assemble seccomp filter")
	}
	prog := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		prog[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return searchTree(prog, unix.AUDIT_ARCH_X86_64), nil
}
