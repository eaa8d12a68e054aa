package container

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/container/security"
	"mydocker/container/spec"
	"mydocker/utils"
)

// The default seccomp filter depends only on the capabilities a process
// keeps and the build, and assembling it costs about 0.5 ms and 360 KB of
// garbage: the host keeps each one it assembles under <root>/seccomp, one
// file per capability set, for every run and exec after (init and exec's
// stub get it ready-made).

// SeccompCacheDir is where a state root keeps its assembled filters.
func SeccompCacheDir(root string) string { return filepath.Join(root, "seccomp") }

// AssemblerName is argv[0] of the whole CLI started to assemble a
// filter (RunAssembler), and AssemblerProgram the program that has the
// assembler, installed beside mydocker.
const (
	AssemblerName    = "mydocker-seccomp"
	AssemblerProgram = "mydocker-kube"
)

// IsAssembler says whether this process was started to assemble a filter.
func IsAssembler(args []string) bool { return len(args) == 2 && args[0] == AssemblerName }

// RunAssembler is the main of the assembler role: args[1] is the
// capability set in hex; the filter (spec.FilterBytes) goes to stdout.
// program is nil in a program without the assembler. It returns the exit
// code.
func RunAssembler(args []string, program SeccompProgram) int {
	caps, err := strconv.ParseUint(args[1], 16, 64)
	var prog []unix.SockFilter
	if err == nil && program == nil {
		err = errors.New("this program has no seccomp assembler")
	}
	if err == nil {
		prog, err = program(caps)
	}
	if err == nil {
		_, err = os.Stdout.Write(spec.FilterBytes(prog))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", AssemblerName, err)
		return 1
	}
	return 0
}

// AssemblerAt is the assembler of the program at path (AssemblerProgram,
// whole CLI), started for each filter. The lean programs on the path of
// every run (the CLI make builds, the monitor) do not link the seccomp
// library, whose initialisation would cost each of their starts more
// than the rest of it; the cache makes this start rare: once per
// capability set and build in each state root.
func AssemblerAt(path string) SeccompProgram {
	return func(caps uint64) ([]unix.SockFilter, error) {
		var out, errb bytes.Buffer
		cmd := exec.Command(path, strconv.FormatUint(caps, 16))
		cmd.Args[0] = AssemblerName
		cmd.Env = []string{}
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
				return nil, errors.Errorf("assemble the seccomp filter: %s is missing (make build and make install put it beside mydocker)", path)
			}
			return nil, errors.Errorf("assemble the seccomp filter with %s: %v: %s", path, err, strings.TrimSpace(errb.String()))
		}
		prog, ok := spec.ParseFilterBytes(out.Bytes())
		if !ok || len(prog) == 0 {
			return nil, errors.Errorf("assemble the seccomp filter with %s: %d bytes are not a filter", path, out.Len())
		}
		return prog, nil
	}
}

// CachedSeccompProgram is program with its results kept in dir. A file
// names the build and the capabilities it was assembled for, and the
// checksum of its instructions: anything else (another build, a torn
// write) is a miss, and the filter is assembled again. A plain `go
// build` has no build ID to tell its filters apart, and caches nothing.
// A nil program fails a miss.
func CachedSeccompProgram(dir string, program SeccompProgram) SeccompProgram {
	if program == nil {
		program = func(uint64) ([]unix.SockFilter, error) {
			return nil, errors.New("this program cannot assemble the seccomp filter")
		}
	}
	return func(caps uint64) ([]unix.SockFilter, error) {
		if spec.BuildID == "" {
			return program(caps)
		}
		path := filepath.Join(dir, strconv.FormatUint(caps, 16))
		if data, err := os.ReadFile(path); err == nil {
			if prog, ok := decodeSeccompCache(data, caps); ok {
				return prog, nil
			}
		}
		prog, err := program(caps)
		if err != nil {
			return nil, err
		}
		// The container goes on without the cache: it only costs the
		// next one the assembly again.
		if err := keepSeccompProgram(dir, caps, prog); err != nil {
			log.Warnf("keep the seccomp filter for the next container: %v", err)
		}
		return prog, nil
	}
}

// keepSeccompProgram writes prog, assembled for caps, into the cache dir.
func keepSeccompProgram(dir string, caps uint64, prog []unix.SockFilter) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return utils.ReplaceFile(filepath.Join(dir, strconv.FormatUint(caps, 16)), encodeSeccompCache(prog, caps), 0o600)
}

func seccompCacheHeader(caps uint64, body []byte) []byte {
	sum := sha256.Sum256(body)
	return fmt.Appendf(nil, "mydocker seccomp %s %x %s\n", spec.BuildID, caps, hex.EncodeToString(sum[:]))
}

// encodeSeccompCache is the header line, then the instructions.
func encodeSeccompCache(prog []unix.SockFilter, caps uint64) []byte {
	body := spec.FilterBytes(prog)
	return append(seccompCacheHeader(caps, body), body...)
}

func decodeSeccompCache(data []byte, caps uint64) ([]unix.SockFilter, bool) {
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 || !bytes.Equal(data[:nl+1], seccompCacheHeader(caps, data[nl+1:])) {
		return nil, false
	}
	return spec.ParseFilterBytes(data[nl+1:])
}

// PrepareSeccompCache assembles, if root's cache lacks it, the filter of
// a container with Docker's default capabilities, and returns keep,
// which writes it into the cache. A command that brings an image in
// (pull, load, import) has it assembled meanwhile and kept once it has
// succeeded (warmSeccompCache in package main): a failed one leaves
// nothing behind, and after a good one the first run in a new root does
// not wait for mydocker-kube to start and assemble it.
func PrepareSeccompCache(root string) (keep func() error, err error) {
	none := func() error { return nil }
	if spec.BuildID == "" {
		return none, nil // no cache without a build ID
	}
	sec := security.Security{Capabilities: security.DefaultCapabilities, Seccomp: true}
	caps, err := keptCaps(&sec)
	if err != nil {
		return nil, err
	}
	dir := SeccompCacheDir(root)
	if data, err := os.ReadFile(filepath.Join(dir, strconv.FormatUint(caps, 16))); err == nil {
		if _, ok := decodeSeccompCache(data, caps); ok {
			return none, nil
		}
	}
	if AssembleSeccomp == nil {
		return nil, errors.New("this program cannot assemble the seccomp filter")
	}
	prog, err := AssembleSeccomp(caps)
	if err != nil {
		return nil, err
	}
	return func() error { return keepSeccompProgram(dir, caps, prog) }, nil
}
