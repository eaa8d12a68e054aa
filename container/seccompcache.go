package container

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	log "github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"mydocker/container/spec"
	"mydocker/utils"
)

// seccompCacheName is the file in a container's directory that keeps the
// seccomp filter its exec'd processes get, assembled once: assembling
// costs every exec about 0.2 ms and 180 KB of garbage, and the filter
// depends only on the capabilities kept and the build.
const seccompCacheName = "exec-seccomp"

// CachedSeccompProgram is program with its result kept in dir, the
// container's directory, for the next exec. The file names the build and
// the capabilities it was assembled for, and the checksum of its
// instructions: anything else (another build, a torn write) is a miss,
// and the filter is assembled again. A plain `go build` has no build ID
// to tell its filters apart, and caches nothing.
func CachedSeccompProgram(dir string, program SeccompProgram) SeccompProgram {
	if spec.BuildID == "" {
		return program
	}
	path := filepath.Join(dir, seccompCacheName)
	return func(caps uint64) ([]unix.SockFilter, error) {
		if data, err := os.ReadFile(path); err == nil {
			if prog, ok := decodeSeccompCache(data, caps); ok {
				return prog, nil
			}
		}
		prog, err := program(caps)
		if err != nil {
			return nil, err
		}
		// The exec goes on without the cache: it only costs the next one
		// the assembly again.
		if err := utils.ReplaceFile(path, encodeSeccompCache(prog, caps), 0o600); err != nil {
			log.Warnf("keep the seccomp filter for the next exec: %v", err)
		}
		return prog, nil
	}
}

func seccompCacheHeader(caps uint64, body []byte) []byte {
	sum := sha256.Sum256(body)
	return fmt.Appendf(nil, "mydocker exec seccomp %s %x %s\n", spec.BuildID, caps, hex.EncodeToString(sum[:]))
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
