package spec

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"

	"mydocker/constant"
)

// ExecPlan is everything the exec stub needs to become the command, worked
// out on the host: the stub is C only (container/nsenter, built into
// mydocker-init), it joins the namespaces, follows the plan and execs.
// The user is already numbers (resolved in the container's /etc/passwd
// through its root), the seccomp filter already instructions;
// only what must be looked at from inside is left to the stub: the working
// directory and the command's path in the container's PATH.
type ExecPlan struct {
	// Build is the host's BuildID: the stub, built with the same ID (make
	// build passes it to the C compiler), refuses a plan of another build.
	Build string
	Args  []string
	Env   []string // with HOME
	Cwd   string
	// Path is the PATH the command is searched in: the env's, or the
	// default.
	Path    string
	UID     int
	GID     int
	Groups  []int // supplementary, all of them
	Rlimits []Rlimit
	// Caps is the mask of capabilities the command keeps: the bounding
	// set is cut to it, and a root command has it effective and permitted.
	Caps uint64
	// Seccomp is the filter loaded before the user switch; none when
	// empty (unconfined).
	Seccomp     []unix.SockFilter
	Tty         bool
	ConsoleSize *ConsoleSize
}

// ExecPlanVersion is the format's version, the stub's first check: a
// stub from another build of mydocker refuses a plan it may misread.
const ExecPlanVersion = "1"

// Encode writes the plan as "key=value" entries, each ending in a NUL
// byte: a C program reads it with no parser to speak of. Arguments and
// environment entries are repeated keys, in order; nothing in a plan can
// hold a NUL (execve could not pass it on either).
func (p *ExecPlan) Encode() ([]byte, error) {
	var b bytes.Buffer
	var bad error
	put := func(key, value string) {
		if strings.IndexByte(value, 0) >= 0 && bad == nil {
			bad = errors.Errorf("invalid %s %q: contains a NUL byte", key, value)
		}
		b.WriteString(key)
		b.WriteByte('=')
		b.WriteString(value)
		b.WriteByte(0)
	}
	num := func(key string, n uint64) { put(key, strconv.FormatUint(n, 10)) }
	put("plan", ExecPlanVersion)
	put("build", p.Build)
	put("cwd", p.Cwd)
	put("path", p.Path)
	if p.UID < 0 || p.GID < 0 {
		return nil, errors.Errorf("invalid user %d:%d", p.UID, p.GID)
	}
	num("uid", uint64(p.UID))
	num("gid", uint64(p.GID))
	for _, g := range p.Groups {
		if g < 0 {
			return nil, errors.Errorf("invalid group %d", g)
		}
		num("group", uint64(g))
	}
	for _, l := range p.Rlimits {
		put("rlimit", strconv.Itoa(l.Type)+":"+strconv.FormatUint(l.Soft, 10)+":"+strconv.FormatUint(l.Hard, 10))
	}
	num("caps", p.Caps)
	if len(p.Seccomp) > 0 {
		if len(p.Seccomp) > 0xffff {
			return nil, errors.Errorf("seccomp filter of %d instructions is too long", len(p.Seccomp))
		}
		put("seccomp", hex.EncodeToString(FilterBytes(p.Seccomp)))
	}
	if p.Tty {
		put("tty", "1")
		if p.ConsoleSize != nil {
			num("rows", uint64(p.ConsoleSize.Rows))
			num("cols", uint64(p.ConsoleSize.Cols))
		}
	}
	if len(p.Args) == 0 {
		return nil, errors.New("exec: no command given")
	}
	for _, a := range p.Args {
		put("arg", a)
	}
	for _, e := range p.Env {
		put("env", e)
	}
	if bad != nil {
		return nil, bad
	}
	return b.Bytes(), nil
}

// FilterBytes is a seccomp filter as the kernel reads struct sock_filter:
// each instruction's code (2 bytes), jt, jf and k (4 bytes), little
// endian (the filter is only ever built for amd64).
func FilterBytes(prog []unix.SockFilter) []byte {
	b := make([]byte, 0, 8*len(prog))
	for _, f := range prog {
		b = binary.LittleEndian.AppendUint16(b, f.Code)
		b = append(b, f.Jt, f.Jf)
		b = binary.LittleEndian.AppendUint32(b, f.K)
	}
	return b
}

// ParseFilterBytes reads what FilterBytes wrote; false for anything that
// is not whole instructions.
func ParseFilterBytes(b []byte) ([]unix.SockFilter, bool) {
	if len(b) == 0 || len(b)%8 != 0 {
		return nil, false
	}
	prog := make([]unix.SockFilter, len(b)/8)
	for i := range prog {
		in := b[8*i:]
		prog[i] = unix.SockFilter{Code: binary.LittleEndian.Uint16(in), Jt: in[2], Jf: in[3], K: binary.LittleEndian.Uint32(in[4:])}
	}
	return prog, true
}

// SearchPath is the PATH a container's command is looked up in: the last
// PATH of env, as a shell has it, or the default when that is empty or
// there is none. Init
// and the exec plan both search it.
func SearchPath(env []string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, _ := strings.Cut(env[i], "="); k == "PATH" {
			if v == "" {
				break
			}
			return v
		}
	}
	return constant.DefaultPath
}
