package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"

	"mydocker/utils"
)

// The block I/O controller (v1's blkio, v2's io): --blkio-weight, the
// per-device --device-read-bps and --device-write-bps, and the bytes read
// and written that stats shows.
var blkioController = controller{
	name:    "blkio",
	nameV2:  "io",
	setV1:   setBlkioV1,
	setV2:   setBlkioV2,
	statsV1: blkioStatsV1,
	statsV2: ioStatsV2,
}

// ThrottleDevice caps one block device's bytes per second. Major and
// Minor are what the kernel's files take; Path is what the user typed.
type ThrottleDevice struct {
	Path  string `json:"Path"`
	Major uint32 `json:"Major"`
	Minor uint32 `json:"Minor"`
	Rate  uint64 `json:"Rate"`
}

func (d ThrottleDevice) String() string { return fmt.Sprintf("%d:%d %d", d.Major, d.Minor, d.Rate) }

// The weights: v1's blkio and bfq's from 10 (Docker's minimum) to 1000,
// v2's io.weight from 1 to 10000.
const minBlkioWeight, maxBlkioWeight = 10, 1000

// blkioToIOWeight maps a blkio weight onto io.weight's range, as runc.
func blkioToIOWeight(w uint16) uint64 {
	return 1 + (uint64(w)-minBlkioWeight)*9999/(maxBlkioWeight-minBlkioWeight)
}

func setBlkioV1(dir string, r *Resources) error {
	if r.BlkioWeight > 0 {
		// blkio.weight belongs to the CFQ scheduler, gone since 5.0; BFQ,
		// its successor, offers blkio.bfq.weight. A kernel with neither
		// cannot weigh I/O: say so rather than pretend.
		file, err := firstPresent(dir, "blkio.weight", "blkio.bfq.weight")
		if err != nil {
			return err
		}
		if err := writeFile(dir, file, strconv.Itoa(int(r.BlkioWeight))); err != nil {
			return err
		}
	}
	for _, d := range r.BlkioDeviceReadBps {
		if err := writeFile(dir, "blkio.throttle.read_bps_device", d.String()); err != nil {
			return err
		}
	}
	for _, d := range r.BlkioDeviceWriteBps {
		if err := writeFile(dir, "blkio.throttle.write_bps_device", d.String()); err != nil {
			return err
		}
	}
	return nil
}

func setBlkioV2(dir string, r *Resources) error {
	if r.BlkioWeight > 0 {
		// io.bfq.weight takes blkio's own scale; io.weight (the io.cost
		// model) its wider one.
		file, err := firstPresent(dir, "io.bfq.weight", "io.weight")
		if err != nil {
			return err
		}
		w := strconv.Itoa(int(r.BlkioWeight))
		if file == "io.weight" {
			w = strconv.FormatUint(blkioToIOWeight(r.BlkioWeight), 10)
		}
		if err := writeFile(dir, file, w); err != nil {
			return err
		}
	}
	// io.max takes one line per device with the keys to change; others
	// keep their values.
	for _, d := range r.BlkioDeviceReadBps {
		if err := writeFile(dir, "io.max", fmt.Sprintf("%d:%d rbps=%d", d.Major, d.Minor, d.Rate)); err != nil {
			return err
		}
	}
	for _, d := range r.BlkioDeviceWriteBps {
		if err := writeFile(dir, "io.max", fmt.Sprintf("%d:%d wbps=%d", d.Major, d.Minor, d.Rate)); err != nil {
			return err
		}
	}
	return nil
}

// firstPresent returns the first of the files that dir has.
func firstPresent(dir string, files ...string) (string, error) {
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return f, nil
		}
	}
	return "", errors.Errorf("this kernel cannot weigh block I/O: %s has none of %s (an I/O scheduler such as bfq is needed)",
		dir, strings.Join(files, ", "))
}

// blkioStatsV1 sums blkio.throttle.io_service_bytes, which counts every
// I/O whatever the scheduler: lines "MAJ:MIN Read N", "MAJ:MIN Write N".
func blkioStatsV1(dir string, st *Stats) error {
	s, err := readFile(dir, "blkio.throttle.io_service_bytes")
	if err != nil {
		return err
	}
	st.BlockRead, st.BlockWrite = ParseBlkioServiceBytes(s)
	return nil
}

// ParseBlkioServiceBytes sums the Read and Write bytes of v1's
// blkio.throttle.io_service_bytes over all devices.
func ParseBlkioServiceBytes(s string) (read, write uint64) {
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue // "Total N"
		}
		n, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			continue
		}
		switch f[1] {
		case "Read":
			read += n
		case "Write":
			write += n
		}
	}
	return read, write
}

func ioStatsV2(dir string, st *Stats) error {
	s, err := readFile(dir, "io.stat")
	if os.IsNotExist(errors.Cause(err)) {
		return nil // the host does not offer the io controller
	}
	if err != nil {
		return err
	}
	st.BlockRead, st.BlockWrite = ParseIOStat(s)
	return nil
}

// ParseIOStat sums rbytes and wbytes of v2's io.stat over all devices:
// lines "MAJ:MIN rbytes=N wbytes=N rios=N ...".
func ParseIOStat(s string) (read, write uint64) {
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		for _, kv := range f[min(1, len(f)):] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				continue
			}
			switch k {
			case "rbytes":
				read += n
			case "wbytes":
				write += n
			}
		}
	}
	return read, write
}

// ParseBlkioWeight parses --blkio-weight.
func ParseBlkioWeight(s string) (uint16, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
	if err != nil || n < minBlkioWeight || n > maxBlkioWeight {
		return 0, errors.Errorf("want a weight from %d to %d", minBlkioWeight, maxBlkioWeight)
	}
	return uint16(n), nil
}

// ParseThrottleDevice parses --device-read-bps and --device-write-bps,
// DEVICE:RATE as Docker takes them: a block device's path and a rate in
// bytes per second with an optional unit (kb, mb, gb). stat says what
// the path is; it is unix.Stat outside tests.
func ParseThrottleDevice(s string, stat func(string, *unix.Stat_t) error) (ThrottleDevice, error) {
	i := strings.LastIndex(s, ":")
	if i <= 0 {
		return ThrottleDevice{}, errors.New("want DEVICE:RATE such as /dev/sda:1mb")
	}
	path, rate := s[:i], s[i+1:]
	if !filepath.IsAbs(path) {
		return ThrottleDevice{}, errors.Errorf("device %q is not an absolute path", path)
	}
	n, err := utils.ParseSize(rate)
	if err != nil || n <= 0 {
		return ThrottleDevice{}, errors.Errorf("want a rate such as 1mb (bytes per second), not %q", rate)
	}
	var st unix.Stat_t
	if err := stat(path, &st); err != nil {
		return ThrottleDevice{}, errors.Wrapf(err, "device %s", path)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return ThrottleDevice{}, errors.Errorf("%s is not a block device", path)
	}
	return ThrottleDevice{Path: path, Major: unix.Major(uint64(st.Rdev)), Minor: unix.Minor(uint64(st.Rdev)), Rate: uint64(n)}, nil
}

// CanWeighBlkio reports whether this host can weigh containers' block
// I/O: v2 when the io controller is there (io.weight always is); v1 when
// a scheduler with weights registered its files (CFQ's blkio.weight,
// gone since 5.0, or BFQ's blkio.bfq.*, present only while bfq is loaded).
func CanWeighBlkio() bool {
	l, err := hostLayout()
	if err != nil {
		return false
	}
	return canWeighBlkio(l.mode, l.mounts)
}

func canWeighBlkio(mode Mode, mounts map[string]string) bool {
	if mode == V2 {
		ctl, err := readFile(mounts[""], "cgroup.controllers")
		return err == nil && slices.Contains(strings.Fields(ctl), "io")
	}
	dir, ok := mounts["blkio"]
	if !ok {
		return false
	}
	_, err := firstPresent(dir, "blkio.weight", "blkio.bfq.io_service_bytes")
	return err == nil
}
