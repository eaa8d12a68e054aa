package cgroups

import (
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeV1 makes one temp dir per v1 hierarchy and the container's cgroup
// in each, with the files the kernel would offer pre-created.
func fakeV1(t *testing.T, files map[string]string) (Manager, func(sub string) string) {
	t.Helper()
	base := t.TempDir()
	mounts := map[string]string{}
	for _, sub := range Subsystems {
		mounts[sub] = filepath.Join(base, sub)
	}
	write(t, mounts["cpuset"], "cpuset.cpus", "0-3")
	write(t, mounts["cpuset"], "cpuset.mems", "0")
	m := NewV1(mounts, Name("abc"))
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	dir := func(sub string) string { return filepath.Join(mounts[sub], "mydocker", "abc") }
	for f, v := range files {
		sub, name, _ := strings.Cut(f, "/")
		write(t, dir(sub), name, v)
	}
	return m, dir
}

func TestV1SetLimits(t *testing.T) {
	unlimited := "9223372036854771712"
	tests := []struct {
		name  string
		files map[string]string // pre-existing kernel files
		r     Resources
		want  map[string]string
		err   string
	}{
		{"swap default is memory again", map[string]string{"memory/memory.memsw.limit_in_bytes": unlimited},
			Resources{Memory: 64 << 20}, map[string]string{"memory/memory.limit_in_bytes": "67108864", "memory/memory.memsw.limit_in_bytes": "134217728"}, ""},
		{"swap given", map[string]string{"memory/memory.memsw.limit_in_bytes": unlimited},
			Resources{Memory: 64 << 20, MemorySwap: 96 << 20}, map[string]string{"memory/memory.memsw.limit_in_bytes": "100663296"}, ""},
		{"swap unlimited", map[string]string{"memory/memory.memsw.limit_in_bytes": "100663296"},
			Resources{Memory: 64 << 20, MemorySwap: -1}, map[string]string{"memory/memory.memsw.limit_in_bytes": "-1"}, ""},
		{"no swap accounting: memory alone", nil,
			Resources{Memory: 64 << 20, MemorySwap: 96 << 20}, map[string]string{"memory/memory.limit_in_bytes": "67108864"}, ""},
		{"reservation", nil, Resources{MemoryReservation: 16 << 20}, map[string]string{"memory/memory.soft_limit_in_bytes": "16777216"}, ""},
		{"shares", nil, Resources{CPUShares: 512}, map[string]string{"cpu/cpu.shares": "512"}, ""},
		{"weight converted to shares", nil, Resources{CPUWeight: 100}, map[string]string{"cpu/cpu.shares": "2597"}, ""},
		{"period and quota", nil, Resources{CPUPeriod: 50000, CPUQuota: 25000},
			map[string]string{"cpu/cpu.cfs_period_us": "50000", "cpu/cpu.cfs_quota_us": "25000"}, ""},
		{"quota -1", nil, Resources{CPUQuota: -1}, map[string]string{"cpu/cpu.cfs_period_us": "100000", "cpu/cpu.cfs_quota_us": "-1"}, ""},
		{"period alone", nil, Resources{CPUPeriod: 20000}, map[string]string{"cpu/cpu.cfs_period_us": "20000"}, ""},
		{"blkio.weight", map[string]string{"blkio/blkio.weight": "500", "blkio/blkio.bfq.weight": "100"},
			Resources{BlkioWeight: 300}, map[string]string{"blkio/blkio.weight": "300", "blkio/blkio.bfq.weight": "100"}, ""},
		{"bfq weight", map[string]string{"blkio/blkio.bfq.weight": "100"},
			Resources{BlkioWeight: 300}, map[string]string{"blkio/blkio.bfq.weight": "300"}, ""},
		{"no weight file", nil, Resources{BlkioWeight: 300}, nil, "cannot weigh block I/O"},
		{"throttle", nil, Resources{
			BlkioDeviceReadBps:  []ThrottleDevice{{Major: 254, Minor: 0, Rate: 1 << 20}},
			BlkioDeviceWriteBps: []ThrottleDevice{{Major: 8, Minor: 16, Rate: 2 << 20}},
		}, map[string]string{"blkio/blkio.throttle.read_bps_device": "254:0 1048576", "blkio/blkio.throttle.write_bps_device": "8:16 2097152"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, dir := fakeV1(t, tc.files)
			err := m.Set(&tc.r)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Set error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for f, want := range tc.want {
				sub, name, _ := strings.Cut(f, "/")
				if got := read(t, dir(sub), name); got != want {
					t.Errorf("%s = %q, want %q", f, got, want)
				}
			}
		})
	}
}

func TestV2SetLimits(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		r     Resources
		want  map[string]string
		err   string
	}{
		{"swap default equals memory", map[string]string{"memory.swap.max": "max"},
			Resources{Memory: 64 << 20}, map[string]string{"memory.max": "67108864", "memory.swap.max": "67108864"}, ""},
		{"swap given is memory+swap", map[string]string{"memory.swap.max": "max"},
			Resources{Memory: 64 << 20, MemorySwap: 96 << 20}, map[string]string{"memory.swap.max": "33554432"}, ""},
		{"swap = memory: none", map[string]string{"memory.swap.max": "max"},
			Resources{Memory: 64 << 20, MemorySwap: 64 << 20}, map[string]string{"memory.swap.max": "0"}, ""},
		{"swap unlimited", map[string]string{"memory.swap.max": "0"},
			Resources{Memory: 64 << 20, MemorySwap: -1}, map[string]string{"memory.swap.max": "max"}, ""},
		{"reservation is memory.low", nil, Resources{MemoryReservation: 16 << 20}, map[string]string{"memory.low": "16777216"}, ""},
		{"weight", nil, Resources{CPUWeight: 250}, map[string]string{"cpu.weight": "250"}, ""},
		{"shares converted", nil, Resources{CPUShares: 1024}, map[string]string{"cpu.weight": "39"}, ""},
		{"shares max", nil, Resources{CPUShares: 262144}, map[string]string{"cpu.weight": "10000"}, ""},
		{"shares min", nil, Resources{CPUShares: 2}, map[string]string{"cpu.weight": "1"}, ""},
		{"period alone", nil, Resources{CPUPeriod: 20000}, map[string]string{"cpu.max": "max 20000"}, ""},
		{"quota -1", nil, Resources{CPUQuota: -1, CPUPeriod: 50000}, map[string]string{"cpu.max": "max 50000"}, ""},
		{"quota", nil, Resources{CPUQuota: 25000, CPUPeriod: 50000}, map[string]string{"cpu.max": "25000 50000"}, ""},
		{"bfq weight raw", map[string]string{"io.bfq.weight": "default 100", "io.weight": "default 100"},
			Resources{BlkioWeight: 300}, map[string]string{"io.bfq.weight": "300", "io.weight": "default 100"}, ""},
		{"io.weight converted", map[string]string{"io.weight": "default 100"},
			Resources{BlkioWeight: 1000}, map[string]string{"io.weight": "10000"}, ""},
		{"io.weight min", map[string]string{"io.weight": "default 100"},
			Resources{BlkioWeight: 10}, map[string]string{"io.weight": "1"}, ""},
		{"no io weight", nil, Resources{BlkioWeight: 300}, nil, "cannot weigh block I/O"},
		{"io.max", nil, Resources{BlkioDeviceWriteBps: []ThrottleDevice{{Major: 254, Minor: 0, Rate: 1 << 20}}},
			map[string]string{"io.max": "254:0 wbps=1048576"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := fakeV2(t, "cpuset cpu io memory pids")
			m := NewV2(root, Name("abc"))
			if err := m.Create(); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(root, "mydocker", "abc")
			for f, v := range tc.files {
				write(t, dir, f, v)
			}
			err := m.Set(&tc.r)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Set error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for f, want := range tc.want {
				if got := read(t, dir, f); got != want {
					t.Errorf("%s = %q, want %q", f, got, want)
				}
			}
		})
	}
}

func TestV2FreezeThaw(t *testing.T) {
	root := fakeV2(t, "memory")
	m := NewV2(root, Name("abc"))
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "mydocker", "abc")
	// The kernel reports frozen in cgroup.events; the fake already does.
	write(t, dir, "cgroup.events", "populated 1\nfrozen 1\n")
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, dir, "cgroup.freeze"); got != "1" {
		t.Errorf("cgroup.freeze %q", got)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, dir, "cgroup.freeze"); got != "0" {
		t.Errorf("cgroup.freeze %q after Thaw", got)
	}
}

func TestV1FreezeThaw(t *testing.T) {
	m, dir := fakeV1(t, map[string]string{"freezer/freezer.state": "THAWED"})
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, dir("freezer"), "freezer.state"); got != "FROZEN" {
		t.Errorf("freezer.state %q", got)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, dir("freezer"), "freezer.state"); got != "THAWED" {
		t.Errorf("freezer.state %q", got)
	}
}

func TestBlockStats(t *testing.T) {
	tests := []struct {
		name, in    string
		v2          bool
		read, write uint64
	}{
		{"v1", "254:0 Read 4096\n254:0 Write 8192\n254:0 Sync 0\n254:0 Total 12288\n8:0 Read 1\n8:0 Write 2\nTotal 12291\n", false, 4097, 8194},
		{"v1 empty", "Total 0\n", false, 0, 0},
		{"v2", "254:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n8:0 rbytes=1 wbytes=2\n", true, 4097, 8194},
		{"v2 empty", "", true, 0, 0},
		{"v2 junk", "x rbytes=y wbytes\n", true, 0, 0},
	}
	for _, tc := range tests {
		var r, w uint64
		if tc.v2 {
			r, w = ParseIOStat(tc.in)
		} else {
			r, w = ParseBlkioServiceBytes(tc.in)
		}
		if r != tc.read || w != tc.write {
			t.Errorf("%s: %d/%d, want %d/%d", tc.name, r, w, tc.read, tc.write)
		}
	}
}

func TestCheckMemory(t *testing.T) {
	tests := []struct {
		r   Resources
		err string
	}{
		{Resources{Memory: 64 << 20, MemorySwap: 128 << 20}, ""},
		{Resources{Memory: 64 << 20, MemorySwap: -1}, ""},
		{Resources{Memory: 64 << 20, MemorySwap: 64 << 20}, ""},
		{Resources{MemorySwap: 128 << 20}, "needs --memory"},
		{Resources{Memory: 64 << 20, MemorySwap: 32 << 20}, "below --memory"},
		{Resources{Memory: 64 << 20, MemoryReservation: 128 << 20}, "above --memory"},
		{Resources{MemoryReservation: 128 << 20}, ""},
	}
	for _, tc := range tests {
		err := CheckMemory(&tc.r)
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("CheckMemory(%+v) = %v, want %q", tc.r, err, tc.err)
		}
	}
}

// fakeStat makes /dev/blk a block device 254:3 and /dev/chr a character
// device, without touching the host.
func fakeStat(path string, st *unix.Stat_t) error {
	switch path {
	case "/dev/blk", "/dev/with:colon":
		st.Mode = unix.S_IFBLK | 0o660
		st.Rdev = unix.Mkdev(254, 3)
	case "/dev/chr":
		st.Mode = unix.S_IFCHR | 0o666
		st.Rdev = unix.Mkdev(1, 3)
	default:
		return unix.ENOENT
	}
	return nil
}

func TestParseThrottleDevice(t *testing.T) {
	tests := []struct {
		in   string
		want ThrottleDevice
		err  string
	}{
		{"/dev/blk:1mb", ThrottleDevice{Path: "/dev/blk", Major: 254, Minor: 3, Rate: 1 << 20}, ""},
		{"/dev/blk:512k", ThrottleDevice{Path: "/dev/blk", Major: 254, Minor: 3, Rate: 512 << 10}, ""},
		{"/dev/blk:4096", ThrottleDevice{Path: "/dev/blk", Major: 254, Minor: 3, Rate: 4096}, ""},
		{"/dev/with:colon:1m", ThrottleDevice{Path: "/dev/with:colon", Major: 254, Minor: 3, Rate: 1 << 20}, ""},
		{"/dev/blk", ThrottleDevice{}, "DEVICE:RATE"},
		{":1mb", ThrottleDevice{}, "DEVICE:RATE"},
		{"/dev/blk:", ThrottleDevice{}, "want a rate"},
		{"/dev/blk:0", ThrottleDevice{}, "want a rate"},
		{"/dev/blk:-1", ThrottleDevice{}, "want a rate"},
		{"/dev/blk:fast", ThrottleDevice{}, "want a rate"},
		{"dev/blk:1m", ThrottleDevice{}, "absolute"},
		{"/dev/none:1m", ThrottleDevice{}, "device /dev/none"},
		{"/dev/chr:1m", ThrottleDevice{}, "not a block device"},
	}
	for _, tc := range tests {
		got, err := ParseThrottleDevice(tc.in, fakeStat)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseThrottleDevice(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseThrottleDevice(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestWeightConversions(t *testing.T) {
	for _, tc := range []struct{ shares, weight uint64 }{{2, 1}, {1024, 39}, {262144, 10000}, {0, 0}} {
		if got := SharesToWeight(tc.shares); got != tc.weight {
			t.Errorf("SharesToWeight(%d) = %d, want %d", tc.shares, got, tc.weight)
		}
	}
	for _, w := range []uint64{1, 100, 5000, 10000} {
		if s := WeightToShares(w); s < minShares || s > maxShares {
			t.Errorf("WeightToShares(%d) = %d out of range", w, s)
		}
	}
}

func TestParseNumericLimits(t *testing.T) {
	type parser func(string) (int64, error)
	wrapU := func(f func(string) (uint64, error)) parser {
		return func(s string) (int64, error) { v, err := f(s); return int64(v), err }
	}
	blkio := func(s string) (int64, error) { v, err := ParseBlkioWeight(s); return int64(v), err }
	tests := []struct {
		name string
		p    parser
		in   string
		want int64
		ok   bool
	}{
		{"shares", wrapU(ParseCPUShares), "512", 512, true},
		{"shares low", wrapU(ParseCPUShares), "1", 0, false},
		{"shares high", wrapU(ParseCPUShares), "262145", 0, false},
		{"shares junk", wrapU(ParseCPUShares), "x", 0, false},
		{"weight", wrapU(ParseCPUWeight), "10000", 10000, true},
		{"weight 0", wrapU(ParseCPUWeight), "0", 0, false},
		{"period", wrapU(ParseCPUPeriod), "50000", 50000, true},
		{"period low", wrapU(ParseCPUPeriod), "999", 0, false},
		{"period high", wrapU(ParseCPUPeriod), "1000001", 0, false},
		{"quota", ParseCPUQuota, "25000", 25000, true},
		{"quota -1", ParseCPUQuota, "-1", -1, true},
		{"quota low", ParseCPUQuota, "999", 0, false},
		{"quota -2", ParseCPUQuota, "-2", 0, false},
		{"blkio", blkio, "500", 500, true},
		{"blkio low", blkio, "9", 0, false},
		{"blkio high", blkio, "1001", 0, false},
		{"swap", ParseMemorySwap, "128m", 128 << 20, true},
		{"swap -1", ParseMemorySwap, "-1", -1, true},
		{"swap 0", ParseMemorySwap, "0", 0, false},
		{"swap junk", ParseMemorySwap, "lots", 0, false},
		{"reservation", ParseMemoryReservation, "1m", 1 << 20, true},
		{"reservation -1", ParseMemoryReservation, "-1", 0, false},
	}
	for _, tc := range tests {
		got, err := tc.p(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%s: %q = %d, %v", tc.name, tc.in, got, err)
		}
	}
}

func FuzzParseThrottleDevice(f *testing.F) {
	for _, s := range []string{"/dev/blk:1mb", "/dev/chr:1m", "/dev/with:colon:1m", ":", "/dev/blk:-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseThrottleDevice(s, fakeStat)
		if err == nil && (d.Rate == 0 || d.Major != 254 || !strings.HasPrefix(s, d.Path+":")) {
			t.Fatalf("ParseThrottleDevice(%q) = %+v", s, d)
		}
	})
}

func FuzzParseCPUQuotaPeriodShares(f *testing.F) {
	for _, s := range limitSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if q, err := ParseCPUQuota(s); err == nil && q != -1 && q < minQuota {
			t.Fatalf("quota %q = %d", s, q)
		}
		if p, err := ParseCPUPeriod(s); err == nil && (p < minPeriod || p > maxPeriod) {
			t.Fatalf("period %q = %d", s, p)
		}
		if v, err := ParseCPUShares(s); err == nil && (v < minShares || v > maxShares) {
			t.Fatalf("shares %q = %d", s, v)
		}
		if v, err := ParseCPUWeight(s); err == nil && (v < minWeight || v > maxWeight) {
			t.Fatalf("weight %q = %d", s, v)
		}
		if v, err := ParseCPUShares(s); err == nil {
			if w := SharesToWeight(v); w < minWeight || w > maxWeight {
				t.Fatalf("shares %d convert to weight %d", v, w)
			}
		}
	})
}

func FuzzParseMemorySwapReservationBlkio(f *testing.F) {
	for _, s := range limitSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := ParseMemorySwap(s); err == nil && v != -1 && v <= 0 {
			t.Fatalf("swap %q = %d", s, v)
		}
		if v, err := ParseMemoryReservation(s); err == nil && v <= 0 {
			t.Fatalf("reservation %q = %d", s, v)
		}
		if v, err := ParseBlkioWeight(s); err == nil && (v < minBlkioWeight || v > maxBlkioWeight) {
			t.Fatalf("blkio weight %q = %d", s, v)
		}
	})
}

func FuzzParseBlockStats(f *testing.F) {
	f.Add("254:0 Read 4096\n254:0 Write 8192\nTotal 12288\n")
	f.Add("254:0 rbytes=4096 wbytes=8192 rios=1\n")
	f.Fuzz(func(t *testing.T, s string) {
		ParseBlkioServiceBytes(s)
		ParseIOStat(s)
	})
}
