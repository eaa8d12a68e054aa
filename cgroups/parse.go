package cgroups

import (
	"math"
	"mydocker/utils"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// DefaultCPUPeriod is the CFS period CPU limits are expressed in (100ms).
const DefaultCPUPeriod = 100000

// minQuota is the smallest CFS quota the kernel accepts (1ms).
const minQuota = 1000

// ParseMemory parses a memory size: a number of bytes with an optional
// unit b, k, m or g (any case, optionally followed by b: 32m, 32MB, 1g).
func ParseMemory(s string) (int64, error) {
	v, err := utils.ParseSize(s)
	if err != nil {
		return 0, errors.New("want a size such as 32m or 1g")
	}
	if v < 4<<20 {
		return 0, errors.New("at least 4m is needed to start a container")
	}
	return v, nil
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

// ParseCpuset validates a CPU list such as "0-1,3" against the CPUs that
// are online and returns it in canonical form.
func ParseCpuset(s string, online []int) (string, error) {
	cpus, err := parseList(s)
	if err != nil {
		return "", errors.New("want a CPU list such as 0-1,3")
	}
	ok := map[int]bool{}
	for _, c := range online {
		ok[c] = true
	}
	for _, c := range cpus {
		if !ok[c] {
			return "", errors.Errorf("CPU %d does not exist (online: %s)", c, formatList(online))
		}
	}
	return formatList(cpus), nil
}

// ParsePidsLimit parses --pids-limit, a positive number of processes.
func ParsePidsLimit(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("want a positive number of processes")
	}
	return n, nil
}

// parseList parses the kernel's CPU list format.
func parseList(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty list")
	}
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, errors.Errorf("bad CPU %q", part)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, errors.Errorf("bad range %q", part)
			}
		}
		if b-a > 4096 || b > 1<<16 {
			return nil, errors.Errorf("range %q too large", part)
		}
		for c := a; c <= b; c++ {
			seen[c] = true
		}
	}
	out := make([]int, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Ints(out)
	return out, nil
}

// formatList writes CPUs in the kernel's list format, ranges merged.
func formatList(cpus []int) string {
	var parts []string
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, strconv.Itoa(cpus[i]))
		} else {
			parts = append(parts, strconv.Itoa(cpus[i])+"-"+strconv.Itoa(cpus[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// OnlineCPUs lists the CPUs the kernel has online.
func OnlineCPUs() []int {
	data, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err == nil {
		if cpus, err := parseList(string(data)); err == nil {
			return cpus
		}
	}
	out := make([]int, runtime.NumCPU())
	for i := range out {
		out[i] = i
	}
	return out
}
