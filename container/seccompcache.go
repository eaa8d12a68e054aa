package container

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

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

// CachedSeccompProgram is program with its results kept in dir. A file
// names the build and the capabilities it was assembled for, and the
// checksum of its instructions: anything else (another build, a torn
// write) is a miss, and the filter is assembled again. A plain `go
// build` has no build ID to tell its filters apart, and caches nothing.
// With a nil program (the monitor, which does not link the assembler),
// a miss returns no filter and no error: init assembles it then.
func CachedSeccompProgram(dir string, program SeccompProgram) SeccompProgram {
	return func(caps uint64) ([]unix.SockFilter, error) {
		if spec.BuildID == "" {
			if program == nil {
				return nil, nil
			}
			return program(caps)
		}
		path := filepath.Join(dir, strconv.FormatUint(caps, 16))
		if data, err := os.ReadFile(path); err == nil {
			if prog, ok := decodeSeccompCache(data, caps); ok {
				return prog, nil
			}
		}
		if program == nil {
			return nil, nil
		}
		prog, err := program(caps)
		if err != nil {
			return nil, err
		}
		// The container goes on without the cache: it only costs the
		// next one the assembly again.
		if err := os.MkdirAll(dir, 0o700); err != nil {
			log.Warnf("keep the seccomp filter for the next container: %v", err)
		} else if err := utils.ReplaceFile(path, encodeSeccompCache(prog, caps), 0o600); err != nil {
			log.Warnf("keep the seccomp filter for the next container: %v", err)
		}
		return prog, nil
	}
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
