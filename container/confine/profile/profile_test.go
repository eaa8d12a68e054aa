package profile

import (
	"encoding/binary"
	"fmt"
	"testing"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"mydocker/container/security"
)

// seccompProgram is the default filter for a container holding caps, as
// the kernel gets it.
func seccompProgram(t testing.TB, caps []string) []unix.SockFilter {
	t.Helper()
	prog, err := Program(security.CapMask(caps))
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

// linearProgram is the same filter as the library assembles it, without
// the search in front.
func linearProgram(t testing.TB, caps []string) []unix.SockFilter {
	t.Helper()
	policy, err := seccompPolicy(security.CapMask(caps))
	if err != nil {
		t.Fatal(err)
	}
	return linearOf(t, policy)
}

// linearOf assembles policy as the library does.
func linearOf(t testing.TB, policy *seccomp.Policy) []unix.SockFilter {
	t.Helper()
	insts, err := policy.Assemble()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := bpf.Assemble(insts)
	if err != nil {
		t.Fatal(err)
	}
	prog := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		prog[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return prog
}

// runFilter interprets the classic BPF instructions the filter uses
// (absolute word loads, ja, jeq/jgt/jge/jset, ret) over one seccomp_data, the way
// the kernel would, so the test checks what the filter decides rather
// than how it looks.
func runFilter(t testing.TB, prog []unix.SockFilter, arch uint32, nr int, arg0 uint64) uint32 {
	t.Helper()
	verdict, _, err := evalFilter(prog, arch, uint32(nr), arg0)
	if err != nil {
		t.Fatal(err)
	}
	return verdict
}

// evalFilter is runFilter's interpreter; it also counts the instructions
// that ran.
func evalFilter(prog []unix.SockFilter, arch, nr uint32, arg0 uint64) (verdict uint32, steps int, err error) {
	var data [64]byte // struct seccomp_data: nr, arch, ip, args[6]
	binary.LittleEndian.PutUint32(data[0:], nr)
	binary.LittleEndian.PutUint32(data[4:], arch)
	binary.LittleEndian.PutUint64(data[16:], arg0)
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		steps++
		ins := prog[pc]
		switch ins.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			if ins.K+4 > uint32(len(data)) {
				return 0, steps, fmt.Errorf("instruction %d loads past seccomp_data", pc)
			}
			acc = binary.LittleEndian.Uint32(data[ins.K:])
		case unix.BPF_JMP | unix.BPF_JA:
			pc += int(ins.K)
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K,
			unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K, unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			var taken bool
			switch ins.Code &^ (unix.BPF_JMP | unix.BPF_K) {
			case unix.BPF_JEQ:
				taken = acc == ins.K
			case unix.BPF_JGT:
				taken = acc > ins.K
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
			return ins.K, steps, nil
		default:
			return 0, steps, fmt.Errorf("instruction %d: opcode %#x the interpreter does not know", pc, ins.Code)
		}
	}
	return 0, steps, fmt.Errorf("the filter ran off its end without a verdict")
}

// What Docker's default profile decides on amd64, written out here rather
// than taken from the filter's lists, so a change to the filter fails the
// test instead of changing it too.
var (
	// refusedToAll are the calls the profile never allows, whatever the
	// capabilities: keyrings, kexec, swap, userfaultfd, pivot_root, other
	// processes' pages, io_uring (since Docker 25.0), the obsolete calls.
	refusedToAll = []string{"_sysctl", "add_key", "afs_syscall", "create_module", "get_kernel_syms",
		"getpmsg", "io_uring_enter", "io_uring_register", "io_uring_setup", "kexec_file_load", "kexec_load",
		"keyctl", "migrate_pages", "move_pages", "nfsservctl", "open_tree_attr", "pivot_root", "putpmsg",
		"query_module", "request_key", "security", "swapoff", "swapon", "sysfs", "tuxcall", "uselib",
		"userfaultfd", "ustat", "vserver"}
	// capabilityGroups are the calls a capability adds: refused without
	// one of the capabilities naming them. (The profile lists ptrace and
	// process_vm_readv/writev under CAP_SYS_PTRACE too, but allows them to
	// everyone; clone, allowed without its namespace flags, is checked
	// apart.)
	capabilityGroups = map[string][]string{
		"CAP_DAC_READ_SEARCH": {"open_by_handle_at"},
		"CAP_SYS_ADMIN": {"bpf", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
			"lookup_dcookie", "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "mount",
			"mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl", "quotactl_fd",
			"setdomainname", "sethostname", "setns", "syslog", "umount2", "unshare"},
		"CAP_SYS_BOOT":       {"reboot"},
		"CAP_SYS_CHROOT":     {"chroot"},
		"CAP_SYS_MODULE":     {"delete_module", "init_module", "finit_module"},
		"CAP_SYS_PACCT":      {"acct"},
		"CAP_SYS_PTRACE":     {"kcmp", "pidfd_getfd", "process_madvise"},
		"CAP_SYS_RAWIO":      {"iopl", "ioperm"},
		"CAP_SYS_TIME":       {"settimeofday", "clock_settime"},
		"CAP_SYS_TTY_CONFIG": {"vhangup"},
		"CAP_SYS_NICE":       {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"},
		"CAP_SYSLOG":         {"syslog"},
		"CAP_BPF":            {"bpf"},
		"CAP_PERFMON":        {"perf_event_open"},
	}
	// allowedToAll are calls that look dangerous but that the profile
	// allows every container: the kernel checks a capability or the
	// ptrace rules itself.
	allowedToAll = []string{"clock_adjtime", "adjtimex", "name_to_handle_at", "process_vm_readv",
		"process_vm_writev", "ptrace", "arch_prctl", "modify_ldt", "personality", "socket", "clone",
		"fanotify_mark", "setxattr", "mknod"}
)

// profileVerdict is what the profile answers a call with argument 0 from
// a container holding caps.
func profileVerdict(name string, caps []string) uint32 {
	const (
		allow  = unix.SECCOMP_RET_ALLOW
		eperm  = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
		enosys = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	)
	held := map[string]bool{}
	for _, c := range caps {
		held[c] = true
	}
	if name == "clone3" && !held["CAP_SYS_ADMIN"] {
		return enosys
	}
	for _, n := range refusedToAll {
		if n == name {
			return eperm
		}
	}
	grouped := false
	for c, names := range capabilityGroups {
		for _, n := range names {
			if n == name {
				if held[c] {
					return allow
				}
				grouped = true
			}
		}
	}
	if grouped {
		return eperm
	}
	return allow
}

func TestSeccompFilterDecisions(t *testing.T) {
	const (
		x86_64 = unix.AUDIT_ARCH_X86_64
		allow  = unix.SECCOMP_RET_ALLOW
		eperm  = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
		enosys = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	)
	nr := func(name string) int {
		n, ok := arch.X86_64.SyscallNames[name]
		if !ok {
			t.Fatalf("no amd64 system call %q", name)
		}
		return n
	}
	all, err := security.Capabilities([]string{"ALL"}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	prog := seccompProgram(t, security.DefaultCapabilities)
	every := seccompProgram(t, all) // --cap-add ALL
	// With the default capabilities, a container is refused every call
	// the profile never allows and every capability group but
	// CAP_SYS_CHROOT's, and allowed the rest.
	for _, name := range refusedToAll {
		for _, p := range [][]unix.SockFilter{prog, every} {
			if got := runFilter(t, p, x86_64, nr(name), 0); got != eperm {
				t.Errorf("%s: verdict %#x, want EPERM whatever the capabilities", name, got)
			}
		}
	}
	for c, names := range capabilityGroups {
		for _, name := range names {
			want := eperm
			if c == "CAP_SYS_CHROOT" {
				want = allow
			} else if name == "clone3" {
				want = enosys
			}
			if got := runFilter(t, prog, x86_64, nr(name), 0); got != want {
				t.Errorf("%s with the default capabilities: verdict %#x, want %#x", name, got, want)
			}
		}
	}
	for _, name := range allowedToAll {
		for _, p := range [][]unix.SockFilter{prog, seccompProgram(t, nil)} {
			if got := runFilter(t, p, x86_64, nr(name), 0); got != allow {
				t.Errorf("%s: verdict %#x, want ALLOW for every container", name, got)
			}
		}
	}
	// Each capability adds its group of the profile, and nothing else:
	// every call of the table and every unknown number is answered as
	// the profile would, with no capability, the default set, every
	// capability and the default set plus each one.
	sets := map[string][]string{"no capability": nil, "the default set": security.DefaultCapabilities, "every capability": all}
	for _, c := range all {
		sets["the default set and "+c] = append([]string{c}, security.DefaultCapabilities...)
	}
	for desc, caps := range sets {
		p := seccompProgram(t, caps)
		for n := 0; n < 1024; n++ {
			name, known := arch.X86_64.SyscallNumbers[n]
			want := eperm
			if known {
				want = profileVerdict(name, caps)
			}
			if got := runFilter(t, p, x86_64, n, 0); got != want {
				t.Errorf("%s (%d) with %s: verdict %#x, want %#x", name, n, desc, got, want)
			}
		}
	}
	// A capability's group, spelt out for the ones --cap-add is used for.
	for c, names := range map[string][]string{
		"CAP_SYS_ADMIN":  {"mount", "umount2", "unshare", "setns", "fsopen", "move_mount", "sethostname"},
		"CAP_SYS_MODULE": {"init_module", "finit_module", "delete_module"},
		"CAP_SYS_TIME":   {"settimeofday", "clock_settime"},
		"CAP_SYS_PTRACE": {"kcmp", "pidfd_getfd", "process_madvise"},
		"CAP_SYS_NICE":   {"mbind", "set_mempolicy"},
		"CAP_SYS_BOOT":   {"reboot"},
	} {
		with := seccompProgram(t, append([]string{c}, security.DefaultCapabilities...))
		for _, name := range names {
			if got := runFilter(t, with, x86_64, nr(name), 0); got != allow {
				t.Errorf("%s with %s: verdict %#x, want ALLOW", name, c, got)
			}
			if got := runFilter(t, prog, x86_64, nr(name), 0); got != eperm {
				t.Errorf("%s without %s: verdict %#x, want EPERM", name, c, got)
			}
		}
	}
	if got := runFilter(t, seccompProgram(t, nil), x86_64, unix.SYS_CHROOT, 0); got != eperm {
		t.Errorf("chroot without CAP_SYS_CHROOT: verdict %#x, want EPERM", got)
	}
	// clone: a plain fork or thread is allowed; a namespace flag only
	// with CAP_SYS_ADMIN, which also gets clone3 (ENOSYS without it, so
	// libc falls back to clone, whose flags the filter can read).
	const thread = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND | unix.CLONE_THREAD
	sysAdmin := seccompProgram(t, append([]string{"CAP_SYS_ADMIN"}, security.DefaultCapabilities...))
	for _, tc := range []struct {
		desc   string
		p      []unix.SockFilter
		ns     uint32 // the verdict on a namespace flag
		clone3 uint32
	}{
		{"the default set", prog, eperm, enosys},
		{"every capability but CAP_SYS_ADMIN", seccompProgram(t, without(all, "CAP_SYS_ADMIN")), eperm, enosys},
		{"CAP_SYS_ADMIN", sysAdmin, allow, allow},
		{"every capability", every, allow, allow},
	} {
		if got := runFilter(t, tc.p, x86_64, unix.SYS_CLONE, thread); got != allow {
			t.Errorf("clone of a thread with %s: verdict %#x, want ALLOW", tc.desc, got)
		}
		if got := runFilter(t, tc.p, x86_64, unix.SYS_CLONE, uint64(unix.SIGCHLD)); got != allow {
			t.Errorf("clone as fork with %s: verdict %#x, want ALLOW", tc.desc, got)
		}
		for name, flag := range map[string]uint64{
			"CLONE_NEWUSER": unix.CLONE_NEWUSER, "CLONE_NEWNS": unix.CLONE_NEWNS, "CLONE_NEWPID": unix.CLONE_NEWPID,
			"CLONE_NEWNET": unix.CLONE_NEWNET, "CLONE_NEWUTS": unix.CLONE_NEWUTS, "CLONE_NEWIPC": unix.CLONE_NEWIPC,
			"CLONE_NEWCGROUP": unix.CLONE_NEWCGROUP,
		} {
			if got := runFilter(t, tc.p, x86_64, unix.SYS_CLONE, flag|uint64(unix.SIGCHLD)); got != tc.ns {
				t.Errorf("clone with %s and %s: verdict %#x, want %#x", name, tc.desc, got, tc.ns)
			}
		}
		if got := runFilter(t, tc.p, x86_64, unix.SYS_CLONE3, 0); got != tc.clone3 {
			t.Errorf("clone3 with %s: verdict %#x, want %#x", tc.desc, got, tc.clone3)
		}
	}
	// socket: every family but the kernel crypto API's and vsock.
	for family, want := range map[uint64]uint32{
		unix.AF_UNIX: allow, unix.AF_INET: allow, unix.AF_INET6: allow, unix.AF_NETLINK: allow,
		unix.AF_PACKET: allow, unix.AF_NFC: allow, unix.AF_XDP: allow,
		unix.AF_ALG: eperm, unix.AF_VSOCK: eperm, 1<<32 | unix.AF_VSOCK: eperm,
		// An upper half equal to personality's number, then to its
		// allowed value: personality's rules must not be reached.
		unix.SYS_PERSONALITY << 32: eperm, 1<<32 | unix.SYS_PERSONALITY: eperm,
	} {
		// With CAP_SYS_ADMIN, socket's rules are the first argument rules.
		for _, p := range [][]unix.SockFilter{prog, sysAdmin} {
			if got := runFilter(t, p, x86_64, unix.SYS_SOCKET, family); got != want {
				t.Errorf("socket(%d): verdict %#x, want %#x", family, got, want)
			}
		}
	}
	// personality: Linux's own, not one that turns off address space
	// randomisation.
	for persona, want := range map[uint64]uint32{
		0: allow, 0xffffffff: allow, 0x0040000 /* ADDR_NO_RANDOMIZE */ : eperm, 0x0100000 /* MMAP_PAGE_ZERO */ : eperm,
		// The numbers of allowed calls: an argument the filter compares
		// as if it were the call's number would let these through.
		unix.SYS_WRITE: eperm, unix.SYS_SOCKET: eperm, unix.SYS_SETITIMER: eperm,
	} {
		for _, p := range [][]unix.SockFilter{prog, sysAdmin} {
			if got := runFilter(t, p, x86_64, unix.SYS_PERSONALITY, persona); got != want {
				t.Errorf("personality(%#x): verdict %#x, want %#x", persona, got, want)
			}
		}
	}
	// Only clone, socket and personality look at an argument: for every
	// other call, the verdict cannot depend on one.
	for n := 0; n < 512; n++ {
		if n == unix.SYS_CLONE || n == unix.SYS_SOCKET || n == unix.SYS_PERSONALITY {
			continue
		}
		for _, p := range [][]unix.SockFilter{prog, sysAdmin, every} {
			want := runFilter(t, p, x86_64, n, 0)
			for _, arg := range []uint64{unix.SYS_READ, unix.SYS_SOCKET, unix.SYS_PERSONALITY, unix.SYS_CLONE,
				unix.AF_VSOCK, unix.CLONE_NEWUSER, 1 << 32, ^uint64(0)} {
				if got := runFilter(t, p, x86_64, n, arg); got != want {
					t.Fatalf("call %d with argument %#x: verdict %#x, but %#x with 0", n, arg, got, want)
				}
			}
		}
	}
	// Other ABIs would bypass the numbers above: refused outright. x32
	// gets ENOSYS, as on a kernel built without it.
	if got := runFilter(t, every, unix.AUDIT_ARCH_I386, unix.SYS_READ, 0); got != eperm {
		t.Errorf("i386 read: verdict %#x, want EPERM", got)
	}
	if got := runFilter(t, every, x86_64, unix.SYS_READ|0x40000000, 0); got != enosys {
		t.Errorf("x32 read: verdict %#x, want ENOSYS", got)
	}
}

// without returns caps less one.
func without(caps []string, drop string) []string {
	var out []string
	for _, c := range caps {
		if c != drop {
			out = append(out, c)
		}
	}
	return out
}

func TestSeccompFilterShape(t *testing.T) {
	prog := seccompProgram(t, security.DefaultCapabilities)
	// Every jump lands inside the program, and it ends by refusing: an
	// allowlist.
	for i, ins := range prog {
		if ins.Code&0x07 == 0x05 && ins.Code != 0x05 { // BPF_JMP conditional
			if i+1+int(ins.Jt) >= len(prog) || i+1+int(ins.Jf) >= len(prog) {
				t.Fatalf("instruction %d jumps out of the program", i)
			}
		}
	}
	if last := prog[len(prog)-1]; last.K != 0x00050001 {
		t.Fatalf("program does not end in EPERM: %+v", last)
	}
	if len(prog) > 4096 {
		t.Fatalf("program too long: %d", len(prog))
	}
}
