package container

import (
	"regexp"
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
			n, err := parseLogSize(value)
			if err != nil {
				return o, errors.Wrapf(err, "invalid --log-opt max-size=%q", value)
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

var logSizeRE = regexp.MustCompile(`^(?i)([0-9]{1,19})(?:([kmg])(?:i?b)?|b)?$`)

// parseLogSize reads 1024, 512k, 10m, 1g (any case, with an optional b or
// ib after the unit as in 10mb, 10MiB; powers of 1024).
func parseLogSize(s string) (int64, error) {
	m := logSizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, errors.New("want a size such as 10m (b, k, m, g)")
	}
	mult := int64(1)
	switch strings.ToLower(m[2]) {
	case "k":
		mult = 1 << 10
	case "m":
		mult = 1 << 20
	case "g":
		mult = 1 << 30
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n < 1 || n > (1<<50)/mult {
		return 0, errors.New("size out of range: from 1 byte to 1 PiB")
	}
	return n * mult, nil
}
