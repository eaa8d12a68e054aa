package cgroups

import (
	"math"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// DefaultCPUPeriod is the CFS period CPU limits are expressed in (100ms).
const DefaultCPUPeriod = 100000

// minQuota is the smallest CFS quota the kernel accepts (1ms).
const minQuota = 1000

// The cpu controller: --cpus and the blog's -cpu, as a CFS quota per
// period (or --cpu-quota and --cpu-period as given), and the relative
// weight of --cpu-shares and --cpu-weight. v2's cpu also counts the CPU time used, which v1 keeps in
// cpuacct, a hierarchy of its own.
var cpuController = controller{
	name:    "cpu",
	setV1:   setCPUV1,
	setV2:   setCPUV2,
	statsV2: cpuStatsV2,
}

var cpuacctController = controller{
	name:    "cpuacct",
	statsV1: cpuacctStatsV1,
}

// cpuPeriod is r's CFS period, DefaultCPUPeriod when unset.
func cpuPeriod(r *Resources) uint64 {
	if r.CPUPeriod == 0 {
		return DefaultCPUPeriod
	}
	return r.CPUPeriod
}

func setCPUV1(dir string, r *Resources) error {
	if shares := cpuSharesV1(r); shares > 0 {
		if err := writeFile(dir, "cpu.shares", strconv.FormatUint(shares, 10)); err != nil {
			return err
		}
	}
	if r.CPUPeriod > 0 || r.CPUQuota != 0 {
		if err := writeFile(dir, "cpu.cfs_period_us", strconv.FormatUint(cpuPeriod(r), 10)); err != nil {
			return err
		}
	}
	if r.CPUQuota == 0 {
		return nil
	}
	return writeFile(dir, "cpu.cfs_quota_us", strconv.FormatInt(r.CPUQuota, 10))
}

func setCPUV2(dir string, r *Resources) error {
	if w := cpuWeightV2(r); w > 0 {
		if err := writeFile(dir, "cpu.weight", strconv.FormatUint(w, 10)); err != nil {
			return err
		}
	}
	if r.CPUPeriod == 0 && r.CPUQuota == 0 {
		return nil
	}
	// cpu.max is "QUOTA PERIOD", QUOTA "max" for no limit (v1's -1).
	quota := "max"
	if r.CPUQuota > 0 {
		quota = strconv.FormatInt(r.CPUQuota, 10)
	}
	return writeFile(dir, "cpu.max", quota+" "+strconv.FormatUint(cpuPeriod(r), 10))
}

// The two versions weigh CPU time on different scales: v1's cpu.shares
// from 2 to 262144 (default 1024), v2's cpu.weight from 1 to 10000
// (default 100). Docker's --cpu-shares is v1's; --cpu-weight is v2's.
// Each is converted linearly onto the other's range, with the formula
// runc and crun use, so a --cpu-shares written for v1 means the same
// share of the machine on v2.
const (
	minShares, maxShares = 2, 262144
	minWeight, maxWeight = 1, 10000
)

// SharesToWeight converts v1 cpu.shares to v2 cpu.weight.
func SharesToWeight(shares uint64) uint64 {
	if shares == 0 {
		return 0
	}
	return 1 + ((shares-minShares)*(maxWeight-minWeight))/(maxShares-minShares)
}

// WeightToShares converts v2 cpu.weight to v1 cpu.shares, the inverse of
// SharesToWeight.
func WeightToShares(weight uint64) uint64 {
	if weight == 0 {
		return 0
	}
	return minShares + ((weight-minWeight)*(maxShares-minShares))/(maxWeight-minWeight)
}

func cpuSharesV1(r *Resources) uint64 {
	if r.CPUShares > 0 {
		return r.CPUShares
	}
	return WeightToShares(r.CPUWeight)
}

func cpuWeightV2(r *Resources) uint64 {
	if r.CPUWeight > 0 {
		return r.CPUWeight
	}
	return SharesToWeight(r.CPUShares)
}

func cpuacctStatsV1(dir string, st *Stats) error {
	var err error
	st.CPUUsageNs, err = readUint(dir, "cpuacct.usage")
	return err
}

func cpuStatsV2(dir string, st *Stats) error {
	usec, err := keyedValue(dir, "cpu.stat", "usage_usec")
	if err != nil {
		return err
	}
	st.CPUUsageNs = usec * 1000
	return nil
}

// ParseCPUs parses Docker's --cpus (a fraction of the machine's CPUs) into
// a CFS quota per DefaultCPUPeriod.
func ParseCPUs(s string, online int) (int64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		return 0, errors.New("want a positive number of CPUs such as 0.5")
	}
	if f > float64(online) {
		return 0, errors.Errorf("only %d CPUs are available", online)
	}
	quota := int64(math.Round(f * DefaultCPUPeriod))
	if quota < minQuota {
		return 0, errors.New("the smallest limit is 0.01 CPUs")
	}
	return quota, nil
}

// ParseCPUPercent parses the blog's -cpu (percent of one CPU) into a CFS
// quota per DefaultCPUPeriod: -cpu 20 is 20000.
func ParseCPUPercent(s string, online int) (int64, error) {
	p, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || p <= 0 {
		return 0, errors.New("want a positive percentage of one CPU such as 20")
	}
	if p > 100*online {
		return 0, errors.Errorf("%d CPUs allow at most %d", online, 100*online)
	}
	return int64(p) * DefaultCPUPeriod / 100, nil
}

// ParseCPUShares parses --cpu-shares, v1's relative weight.
func ParseCPUShares(s string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil || n < minShares || n > maxShares {
		return 0, errors.Errorf("want a weight from %d to %d (default 1024)", minShares, maxShares)
	}
	return n, nil
}

// ParseCPUWeight parses --cpu-weight, v2's relative weight.
func ParseCPUWeight(s string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil || n < minWeight || n > maxWeight {
		return 0, errors.Errorf("want a weight from %d to %d (default 100)", minWeight, maxWeight)
	}
	return n, nil
}

// The CFS period and quota the kernel accepts, in microseconds.
const (
	minPeriod, maxPeriod = 1000, 1000000
)

// ParseCPUPeriod parses --cpu-period, microseconds.
func ParseCPUPeriod(s string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil || n < minPeriod || n > maxPeriod {
		return 0, errors.Errorf("want microseconds from %d (1ms) to %d (1s)", minPeriod, maxPeriod)
	}
	return n, nil
}

// ParseCPUQuota parses --cpu-quota, microseconds of CPU time per period;
// -1 is no limit.
func ParseCPUQuota(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || (n != -1 && n < minQuota) || n > math.MaxInt64/2 {
		return 0, errors.Errorf("want microseconds of at least %d (1ms), or -1 for no limit", minQuota)
	}
	return n, nil
}
