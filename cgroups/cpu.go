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
// period. v2's cpu also counts the CPU time used, which v1 keeps in
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
	if r.CPUQuota <= 0 {
		return nil
	}
	if err := writeFile(dir, "cpu.cfs_period_us", strconv.FormatUint(cpuPeriod(r), 10)); err != nil {
		return err
	}
	return writeFile(dir, "cpu.cfs_quota_us", strconv.FormatInt(r.CPUQuota, 10))
}

func setCPUV2(dir string, r *Resources) error {
	if r.CPUQuota <= 0 {
		return nil
	}
	return writeFile(dir, "cpu.max", strconv.FormatInt(r.CPUQuota, 10)+" "+strconv.FormatUint(cpuPeriod(r), 10))
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
