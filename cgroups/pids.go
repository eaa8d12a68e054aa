package cgroups

import (
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// The pids controller: --pids-limit, and the number of processes stats
// shows. Its files have the same names in v1 and v2.
var pidsController = controller{
	name:    "pids",
	setV1:   setPids,
	setV2:   setPids,
	statsV1: pidsStats,
	statsV2: pidsStats,
}

func setPids(dir string, r *Resources) error {
	switch {
	case r.PidsLimit == 0:
		return nil
	case r.PidsLimit < 0: // update --pids-limit -1 lifts a limit
		return writeFile(dir, "pids.max", "max")
	}
	return writeFile(dir, "pids.max", strconv.FormatInt(r.PidsLimit, 10))
}

func pidsStats(dir string, st *Stats) error {
	var err error
	st.Pids, err = readUint(dir, "pids.current")
	return err
}

// ParsePidsLimit parses --pids-limit: a positive number of processes, or
// -1 for none (Docker's and Podman's spelling; 0 is refused as
// ambiguous: Docker's API has read it both ways).
func ParsePidsLimit(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n == 0 || n < -1 {
		return 0, errors.New("want a positive number of processes, or -1 for no limit")
	}
	return n, nil
}
