package profile

import (
	"testing"

	"golang.org/x/sys/unix"

	"mydocker/container/security"
)

// The capability sets the search is checked with: each makes a different
// program (clone's rule and clone3's ENOSYS go with CAP_SYS_ADMIN).
func treeCapSets(t testing.TB) map[string][]string {
	all, err := security.Capabilities([]string{"ALL"}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]string{
		"no capability":    nil,
		"the default set":  security.DefaultCapabilities,
		"CAP_SYS_ADMIN":    append([]string{"CAP_SYS_ADMIN"}, security.DefaultCapabilities...),
		"every capability": all,
	}
}

// Arguments that the argument rules tell apart (clone's namespace flags,
// socket's families, personality's values, an upper half set), and the
// numbers of calls, which the library's program may compare an argument
// with.
var treeArgs = []uint64{0, unix.CLONE_NEWNS | uint64(unix.SIGCHLD), unix.CLONE_NEWUSER, unix.CLONE_VM | unix.CLONE_THREAD,
	unix.AF_INET, unix.AF_ALG, unix.AF_ALG + 1, unix.AF_VSOCK, unix.AF_VSOCK + 1, 1 << 32, 1<<32 | unix.AF_INET,
	0x8, 0x20000, 0x20008, 0x40000, 0xffffffff, ^uint64(0), unix.SYS_PERSONALITY, unix.SYS_SOCKET, unix.SYS_WRITE}

// The numbers where a search could go wrong: every call, and the edges of
// the x32 range and of a 32-bit number.
func treeNumbers() []uint32 {
	var nrs []uint32
	for n := uint32(0); n < 1100; n++ {
		nrs = append(nrs, n)
	}
	return append(nrs, 0x3fffffff, 0x40000000, 0x40000000|unix.SYS_READ, 0x40000000|unix.SYS_CLONE,
		0x40000000|unix.SYS_SOCKET, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff)
}

// The search decides every call as the library's program alone does:
// every number, on every architecture the kernel may report, with each
// argument the rules tell apart.
func TestSearchTreeDecidesAsProgram(t *testing.T) {
	arches := []uint32{unix.AUDIT_ARCH_X86_64, unix.AUDIT_ARCH_I386, unix.AUDIT_ARCH_AARCH64, 0}
	for desc, caps := range treeCapSets(t) {
		tree, linear := seccompProgram(t, caps), linearProgram(t, caps)
		if len(tree) <= len(linear) {
			t.Fatalf("%s: the program has no search in front (%d instructions, %d without)", desc, len(tree), len(linear))
		}
		for _, a := range arches {
			for _, nr := range treeNumbers() {
				for _, arg := range treeArgs {
					want, _, err := evalFilter(linear, a, nr, arg)
					if err != nil {
						t.Fatal(err)
					}
					got, _, err := evalFilter(tree, a, nr, arg)
					if err != nil {
						t.Fatalf("%s: arch %#x call %d: %v", desc, a, nr, err)
					}
					if got != want {
						t.Fatalf("%s: arch %#x call %d arg %#x: verdict %#x with the search, %#x without", desc, a, nr, arg, got, want)
					}
				}
			}
		}
	}
}

// What makes the filter quick to load: the kernel runs it once for every
// call number, and with the search each run is short. Every number but
// the argument rules' reaches its verdict within a few instructions
// (about log2 of the stretches), and every jump lands inside the program.
func TestSearchTreeShortPaths(t *testing.T) {
	for desc, caps := range treeCapSets(t) {
		prog := seccompProgram(t, caps)
		if len(prog) > maxFilterLen {
			t.Fatalf("%s: %d instructions, more than the kernel takes", desc, len(prog))
		}
		for i, ins := range prog {
			if ins.Code&0x07 != unix.BPF_JMP {
				continue
			}
			end := i + 1 + int(max(ins.Jt, ins.Jf))
			if ins.Code == unix.BPF_JMP|unix.BPF_JA {
				end = i + 1 + int(ins.K)
			}
			if end >= len(prog) {
				t.Fatalf("%s: instruction %d jumps out of the program", desc, i)
			}
		}
		longest := 0
		for n := uint32(0); n < 1024; n++ {
			if n == unix.SYS_CLONE || n == unix.SYS_SOCKET || n == unix.SYS_PERSONALITY {
				continue
			}
			_, steps, err := evalFilter(prog, unix.AUDIT_ARCH_X86_64, n, 0)
			if err != nil {
				t.Fatal(err)
			}
			longest = max(longest, steps)
		}
		if longest > 24 {
			t.Errorf("%s: a call takes %d instructions to decide; the search should take about 12", desc, longest)
		}
	}
}

// A search over stretches whose left halves are longer than a
// conditional jump reaches (255 instructions) still sends each number to
// its own verdict.
func TestSearchTreeLongJumps(t *testing.T) {
	// A made-up program allowing every third number up to 1,500, then
	// refusing: 1,000 stretches.
	var prog []unix.SockFilter
	prog = append(prog, unix.SockFilter{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: dataNr})
	for n := uint32(0); n < 1500; n += 3 {
		prog = append(prog, unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: n, Jt: 0, Jf: 1},
			unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW})
	}
	prog = append(prog, unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | 1})
	if len(prog) > maxFilterLen/3 {
		t.Fatalf("test program too long: %d", len(prog))
	}
	tree := searchTree(prog, unix.AUDIT_ARCH_X86_64)
	if len(tree) == len(prog) {
		t.Fatal("no search made")
	}
	for n := uint32(0); n < 1600; n++ {
		want, _, _ := evalFilter(prog, unix.AUDIT_ARCH_X86_64, n, 0)
		got, steps, err := evalFilter(tree, unix.AUDIT_ARCH_X86_64, n, 0)
		if err != nil || got != want {
			t.Fatalf("call %d: verdict %#x (%v), want %#x", n, got, err, want)
		}
		if steps > 40 {
			t.Fatalf("call %d: %d instructions to decide", n, steps)
		}
	}
	// Too long with the search: left as it was.
	long := append(append(append([]unix.SockFilter{}, prog...), prog[1:]...), prog[1:]...)
	if got := searchTree(long, unix.AUDIT_ARCH_X86_64); len(got) != len(long) {
		t.Fatalf("a program the search would make too long became %d instructions", len(got))
	}
}

// FuzzSearchTree looks for a call, architecture and argument that the
// search decides otherwise than the library's program.
func FuzzSearchTree(f *testing.F) {
	for _, seed := range []struct {
		caps     uint64
		arch, nr uint32
		arg      uint64
	}{
		{security.CapMask(security.DefaultCapabilities), unix.AUDIT_ARCH_X86_64, unix.SYS_READ, 0},
		{security.CapMask(security.DefaultCapabilities), unix.AUDIT_ARCH_X86_64, unix.SYS_CLONE, unix.CLONE_NEWNS},
		{security.CapMask(security.DefaultCapabilities), unix.AUDIT_ARCH_X86_64, unix.SYS_SOCKET, unix.AF_ALG},
		{0, unix.AUDIT_ARCH_I386, unix.SYS_READ, 0},
		{^uint64(0), unix.AUDIT_ARCH_X86_64, 0x40000000 | unix.SYS_READ, 1 << 32},
	} {
		f.Add(seed.caps, seed.arch, seed.nr, seed.arg)
	}
	programs := map[uint64][2][]unix.SockFilter{}
	f.Fuzz(func(t *testing.T, caps uint64, arch, nr uint32, arg uint64) {
		caps &= 1<<41 - 1 // the capabilities there are
		p, ok := programs[caps]
		if !ok {
			tree, err := Program(caps)
			if err != nil {
				t.Fatal(err)
			}
			policy, err := seccompPolicy(caps)
			if err != nil {
				t.Fatal(err)
			}
			p = [2][]unix.SockFilter{tree, linearOf(t, policy)}
			programs[caps] = p
		}
		want, _, err := evalFilter(p[1], arch, nr, arg)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := evalFilter(p[0], arch, nr, arg)
		if err != nil || got != want {
			t.Fatalf("caps %#x arch %#x call %#x arg %#x: verdict %#x (%v) with the search, %#x without", caps, arch, nr, arg, got, err, want)
		}
	})
}
