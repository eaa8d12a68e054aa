package cgroups

import (
	"encoding/binary"
	"unsafe"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// cgroup v2 checks device access with an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup: for each mknod and
// open of a device node it gets a struct bpf_cgroup_dev_ctx
//
//	u32 access_type  // low 16 bits: BPF_DEVCG_DEV_BLOCK (1) or _CHAR (2)
//	                 // high 16 bits: BPF_DEVCG_ACC_MKNOD (1) | _READ (2) | _WRITE (4)
//	u32 major, minor
//
// and returns 1 to allow, 0 to refuse. The program here is the allow
// list written out as straight-line code, one block per rule:
//
//	r2 = type; r3 = access; r4 = major; r5 = minor
//	rule:  if r2 != TYPE goto next        (not for type a)
//	       if r3 & ^ACCESS != 0 goto next (asks for more than allowed)
//	       if r4 != MAJOR goto next       (not for *)
//	       if r5 != MINOR goto next       (not for *)
//	       return 1
//	next:  ...
//	       return 0
//
// It is assembled by hand: eleven kinds of instruction do not call for a
// BPF library.

// bpfInsn is one eBPF instruction as the kernel reads it.
type bpfInsn struct {
	code     uint8
	dst, src uint8 // registers 0-10
	off      int16
	imm      int32
}

const (
	bpfLdxW     = 0x61 // BPF_LDX | BPF_W | BPF_MEM: dst = *(u32 *)(src + off)
	bpfAnd32K   = 0x54 // BPF_ALU | BPF_AND | BPF_K
	bpfRsh32K   = 0x74 // BPF_ALU | BPF_RSH | BPF_K
	bpfMov32X   = 0xbc // BPF_ALU | BPF_MOV | BPF_X
	bpfMov64K   = 0xb7 // BPF_ALU64 | BPF_MOV | BPF_K
	bpfJne32K   = 0x56 // BPF_JMP32 | BPF_JNE | BPF_K: compares the low 32 bits
	bpfExit     = 0x95 // BPF_JMP | BPF_EXIT
	devcgBlock  = 1
	devcgChar   = 2
	devcgMknod  = 1
	devcgRead   = 2
	devcgWrite  = 4
	progTypeDev = 15 // BPF_PROG_TYPE_CGROUP_DEVICE
	attachDev   = 6  // BPF_CGROUP_DEVICE
)

func accessBits(access string) int32 {
	var bits int32
	for _, c := range access {
		switch c {
		case 'r':
			bits |= devcgRead
		case 'w':
			bits |= devcgWrite
		case 'm':
			bits |= devcgMknod
		}
	}
	return bits
}

// deviceFilter assembles the program for rules (checked already).
func deviceFilter(rules []DeviceRule) []bpfInsn {
	prog := []bpfInsn{
		{code: bpfLdxW, dst: 2, src: 1, off: 0},
		{code: bpfAnd32K, dst: 2, imm: 0xffff},
		{code: bpfLdxW, dst: 3, src: 1, off: 0},
		{code: bpfRsh32K, dst: 3, imm: 16},
		{code: bpfLdxW, dst: 4, src: 1, off: 4},
		{code: bpfLdxW, dst: 5, src: 1, off: 8},
	}
	for _, r := range rules {
		var block []bpfInsn
		switch r.Type {
		case "b":
			block = append(block, bpfInsn{code: bpfJne32K, dst: 2, imm: devcgBlock})
		case "c":
			block = append(block, bpfInsn{code: bpfJne32K, dst: 2, imm: devcgChar})
		}
		block = append(block,
			bpfInsn{code: bpfMov32X, dst: 6, src: 3},
			bpfInsn{code: bpfAnd32K, dst: 6, imm: ^accessBits(r.Access) & 0xffff},
			bpfInsn{code: bpfJne32K, dst: 6, imm: 0},
		)
		if r.Type != "a" && r.Major >= 0 {
			block = append(block, bpfInsn{code: bpfJne32K, dst: 4, imm: int32(uint32(r.Major))})
		}
		if r.Type != "a" && r.Minor >= 0 {
			block = append(block, bpfInsn{code: bpfJne32K, dst: 5, imm: int32(uint32(r.Minor))})
		}
		block = append(block, bpfInsn{code: bpfMov64K, dst: 0, imm: 1}, bpfInsn{code: bpfExit})
		// Every jump in the block goes to the next block.
		for i := range block {
			if block[i].code == bpfJne32K {
				block[i].off = int16(len(block) - i - 1)
			}
		}
		prog = append(prog, block...)
	}
	return append(prog, bpfInsn{code: bpfMov64K, dst: 0, imm: 0}, bpfInsn{code: bpfExit})
}

// encode lays the program out as the kernel's struct bpf_insn array.
func encode(prog []bpfInsn) []byte {
	out := make([]byte, 8*len(prog))
	for i, in := range prog {
		b := out[8*i:]
		b[0] = in.code
		b[1] = in.dst&0xf | in.src<<4
		binary.LittleEndian.PutUint16(b[2:], uint16(in.off))
		binary.LittleEndian.PutUint32(b[4:], uint32(in.imm))
	}
	return out
}

// The parts of union bpf_attr for BPF_PROG_LOAD and BPF_PROG_ATTACH.
type progLoadAttr struct {
	progType    uint32
	insnCnt     uint32
	insns       uint64
	license     uint64
	logLevel    uint32
	logSize     uint32
	logBuf      uint64
	kernVersion uint32
	progFlags   uint32
}

type progAttachAttr struct {
	targetFd    uint32
	attachBpfFd uint32
	attachType  uint32
	attachFlags uint32
}

// loadCgroupDeviceProg loads prog and returns its descriptor. The
// verifier's log comes back in the error when it refuses the program.
func loadCgroupDeviceProg(prog []bpfInsn) (int, error) {
	code := encode(prog)
	license := []byte("Apache-2.0\x00")
	logBuf := make([]byte, 64<<10)
	attr := progLoadAttr{
		progType: progTypeDev,
		insnCnt:  uint32(len(prog)),
		insns:    uint64(uintptr(unsafe.Pointer(&code[0]))),
		license:  uint64(uintptr(unsafe.Pointer(&license[0]))),
		logLevel: 1,
		logSize:  uint32(len(logBuf)),
		logBuf:   uint64(uintptr(unsafe.Pointer(&logBuf[0]))),
	}
	// The verifier gives up with EAGAIN when a signal arrives while it
	// works (Go's preemption signal among them), as cilium/ebpf notes:
	// the load is simply tried again.
	var fd uintptr
	var errno unix.Errno
	for try := 0; ; try++ {
		fd, _, errno = unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_LOAD, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
		if (errno != unix.EAGAIN && errno != unix.EINTR) || try == 20 {
			break
		}
	}
	if errno != 0 {
		log := string(logBuf[:clen(logBuf)])
		return -1, errors.Errorf("bpf prog load: %v: %s", errno, log)
	}
	unix.CloseOnExec(int(fd))
	return int(fd), nil
}

func clen(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return len(b)
}

// attachCgroupDeviceProg attaches prog to the cgroup directory cgroupFd.
// Without BPF_F_ALLOW_MULTI a cgroup holds one such program, and a new
// attach replaces it (update); nothing below it may override it.
func attachCgroupDeviceProg(cgroupFd, prog int) error {
	attr := progAttachAttr{targetFd: uint32(cgroupFd), attachBpfFd: uint32(prog), attachType: attachDev}
	_, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_ATTACH, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	if errno != 0 {
		return errno
	}
	return nil
}
