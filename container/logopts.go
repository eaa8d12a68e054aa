package container

import (
	"mydocker/utils"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// LogOptions bound a container's log as Docker's json-file driver does:
// the log is rotated when it would grow past MaxSize, and MaxFile files
// are kept, the current one included. Records from before log options
// hold zeros: the defaults apply.
type LogOptions struct {
	MaxSize int64 `json:"MaxSize,omitempty"`
	MaxFile int   `json:"MaxFile,omitempty"`
}

// The defaults keep a container's log under 100 MiB however much it
// prints (Docker's own default is unbounded).
const (
	DefaultLogMaxSize = 20 << 20
	DefaultLogMaxFile = 5
	maxLogFiles       = 100 // rotation renames every kept file
)

// withDefaults fills in what the user did not set.
func (o LogOptions) withDefaults() LogOptions {
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultLogMaxSize
	}
	if o.MaxFile <= 0 {
		o.MaxFile = DefaultLogMaxFile
	}
	return o
}

// ParseLogOpts reads --log-opt KEY=VALUE flags: max-size (a size such as
// 10m: b, k, m, g, powers of 1024) and max-file (a count, at least 1).
// Unset keys keep their defaults.
func ParseLogOpts(opts []string) (LogOptions, error) {
	var o LogOptions
	for _, opt := range opts {
		key, value, ok := strings.Cut(opt, "=")
		if !ok {
			return o, errors.Errorf("invalid --log-opt %q: want KEY=VALUE", opt)
		}
		switch key {
		case "max-size":
			n, err := utils.ParseSize(value)
			if err != nil {
				return o, errors.Errorf("invalid --log-opt max-size=%q: want a size such as 10m (b, k, m, g)", value)
			}
			o.MaxSize = n
		case "max-file":
			n, err := strconv.Atoi(value)
			if err != nil || n < 1 || n > maxLogFiles || strconv.Itoa(n) != value {
				return o, errors.Errorf("invalid --log-opt max-file=%q: want a number from 1 to %d", value, maxLogFiles)
			}
			o.MaxFile = n
		default:
			return o, errors.Errorf("unknown --log-opt %q: supported are max-size and max-file", key)
		}
	}
	return o.withDefaults(), nil
}
