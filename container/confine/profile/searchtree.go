package profile

import (
	"encoding/binary"
	"sort"

	"golang.org/x/sys/unix"
)

// A seccomp filter as the library assembles it compares the call's number
// with each allowed call in turn: some 330 comparisons for Docker's list.
// The kernel pays for that shape when it loads the filter, not only when
// a call is filtered: it runs the program for every system call number of
// the architecture to learn which ones are always allowed (its cache of
// constant verdicts), about 0.4 ms on this 2-CPU machine for every
// container's init and every exec. searchTree puts a binary search over
// the call's number in front of the program instead: about ten
// comparisons to a verdict, and the load takes a fifth of the time.
//
// The search is worked out from the program itself rather than from the
// policy, so it cannot decide differently: the program is run (see
// verdictOf) for one number in each stretch of numbers it cannot tell
// apart, and each stretch becomes a leaf of the search that returns that
// verdict. A stretch where the program reads an argument (clone, socket,
// personality) or does anything verdictOf does not follow jumps to the
// program's own start instead, which decides as before. So does any
// other architecture's call: the program starts by refusing those.

// seccomp_data's fields, as the program loads them.
const (
	dataNr   = 0 // the call's number
	dataArch = 4 // the AUDIT_ARCH_* of the call's ABI
)

// maxFilterLen is the most instructions the kernel takes in a filter
// (BPF_MAXINSNS).
const maxFilterLen = 4096

// stretch is a run of call numbers, from lo to the next stretch's lo,
// with one outcome: verdict, or the program itself when !known.
type stretch struct {
	lo      uint32
	verdict uint32
	known   bool
}

// searchTree returns prog preceded by a binary search over the number of
// a call of architecture arch (an AUDIT_ARCH_* value).
// A program that does not start by loading (the search hands it the
// number in its accumulator, not the zero it would start with) is
// returned as it is, and so is one the search would make too long.
func searchTree(prog []unix.SockFilter, arch uint32) []unix.SockFilter {
	if len(prog) == 0 || prog[0].Code&0x07 != unix.BPF_LD {
		return prog
	}
	stretches := stretchesOf(prog, arch)
	// ld arch; jeq arch (skip one); ja <prog>; ld nr; <search>; <prog>
	const head = 4
	size := treeSize(stretches)
	out := make([]unix.SockFilter, 0, head+size+len(prog))
	progAt := head + size
	out = append(out,
		unix.SockFilter{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: dataArch},
		unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 1, K: arch},
		jumpTo(2, progAt),
		unix.SockFilter{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: dataNr},
	)
	out = emitTree(out, stretches, progAt)
	if len(out)+len(prog) > maxFilterLen {
		return prog
	}
	return append(out, prog...)
}

// jumpTo is an unconditional jump from index at to index to.
func jumpTo(at, to int) unix.SockFilter {
	return unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JA, K: uint32(to - at - 1)}
}

// treeSize is the number of instructions emitTree makes of s.
func treeSize(s []stretch) int {
	if len(s) == 1 {
		return 1 // ret, or ja to the program
	}
	m := len(s) / 2
	left := treeSize(s[:m])
	node := 1
	if left > 255 { // beyond a conditional jump's reach: add a ja
		node = 2
	}
	return node + left + treeSize(s[m:])
}

// emitTree appends the search over s to out: each node sends numbers at
// or above its middle stretch's lo to its right half, the rest to its
// left half, which follows it.
func emitTree(out []unix.SockFilter, s []stretch, progAt int) []unix.SockFilter {
	if len(s) == 1 {
		if s[0].known {
			return append(out, unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: s[0].verdict})
		}
		return append(out, jumpTo(len(out), progAt))
	}
	m := len(s) / 2
	left := treeSize(s[:m])
	jge := unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K, K: s[m].lo}
	if left <= 255 {
		jge.Jt = uint8(left)
		out = append(out, jge)
	} else {
		jge.Jf = 1 // over the ja that takes the true branch past left
		out = append(out, jge, jumpTo(len(out)+1, len(out)+2+left))
	}
	out = emitTree(out, s[:m], progAt)
	return emitTree(out, s[m:], progAt)
}

// stretchesOf cuts the numbers 0 to 2^32-1 where a comparison of prog
// could tell two numbers apart (at K and K+1 of every jeq, jgt and jge)
// and gives each stretch the verdict prog returns for its first number,
// merging neighbours with the same outcome.
func stretchesOf(prog []unix.SockFilter, arch uint32) []stretch {
	cuts := map[uint32]bool{0: true}
	for _, ins := range prog {
		switch ins.Code {
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K,
			unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K:
			cuts[ins.K] = true
			if ins.K != ^uint32(0) {
				cuts[ins.K+1] = true
			}
		}
	}
	los := make([]uint32, 0, len(cuts))
	for lo := range cuts {
		los = append(los, lo)
	}
	sort.Slice(los, func(i, j int) bool { return los[i] < los[j] })
	var out []stretch
	for _, lo := range los {
		verdict, known := verdictOf(prog, arch, lo)
		if n := len(out); n > 0 && out[n-1].known == known && (!known || out[n-1].verdict == verdict) {
			continue // same outcome as the stretch before: one leaf
		}
		out = append(out, stretch{lo: lo, verdict: verdict, known: known})
	}
	return out
}

// verdictOf runs prog for call nr of arch, and returns its verdict if the
// program reaches one looking at nothing but the number and the
// architecture, with the instructions the library's programs use. known
// is false otherwise: the number's verdict is left to the program.
func verdictOf(prog []unix.SockFilter, arch, nr uint32) (verdict uint32, known bool) {
	var data [8]byte
	binary.LittleEndian.PutUint32(data[dataNr:], nr)
	binary.LittleEndian.PutUint32(data[dataArch:], arch)
	var acc uint32
	// Every jump goes forward, so a program ends within len(prog) steps.
	for pc := 0; pc < len(prog); pc++ {
		ins := prog[pc]
		switch ins.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			if ins.K != dataNr && ins.K != dataArch {
				return 0, false // an argument, or the instruction pointer
			}
			acc = binary.LittleEndian.Uint32(data[ins.K:])
		case unix.BPF_JMP | unix.BPF_JA:
			pc += int(ins.K)
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K,
			unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K:
			var taken bool
			switch ins.Code &^ (unix.BPF_JMP | unix.BPF_K) {
			case unix.BPF_JEQ:
				taken = acc == ins.K
			case unix.BPF_JGT:
				taken = acc > ins.K
			default:
				taken = acc >= ins.K
			}
			if taken {
				pc += int(ins.Jt)
			} else {
				pc += int(ins.Jf)
			}
		case unix.BPF_RET | unix.BPF_K:
			return ins.K, true
		default:
			// jset and the rest would cut numbers in other places
			// than the cuts above.
			return 0, false
		}
	}
	return 0, false
}
