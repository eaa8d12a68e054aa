package container

import (
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"

	"mydocker/utils"
)

// LogTimeFormat is how logs -t prints an entry's time, as Docker does:
// RFC 3339 with nanoseconds, every digit kept so the column lines up.
const LogTimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

var unixTimeRE = utils.LazyRegexp(`^([0-9]{1,12})(?:\.([0-9]{1,9}))?$`)

// The layouts logs --since and --until take, as Docker's: RFC 3339 with
// or without fractions, cut at the minute, hour or day, with a zone
// (Z or an offset) or in local time.
var logTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02T15Z07:00",
	"2006-01-02T15",
	"2006-01-02Z07:00",
	"2006-01-02",
}

// ParseLogTime reads a time for logs --since/--until as Docker does: a
// duration back from now (10m, 1h30m), a Unix time in seconds with up to
// nine decimals (1700000000.5), or an RFC 3339 date and time, whole or cut
// short (2024-01-02, 2024-01-02T15:04), local time unless a zone is given.
func ParseLogTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("empty time")
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	if m := unixTimeRE().FindStringSubmatch(s); m != nil {
		sec, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return time.Time{}, errors.Errorf("invalid time %q", s)
		}
		var nsec int64
		if m[2] != "" {
			nsec, _ = strconv.ParseInt(m[2]+strings.Repeat("0", 9-len(m[2])), 10, 64)
		}
		return time.Unix(sec, nsec), nil
	}
	for _, layout := range logTimeLayouts {
		if strings.Contains(layout, "Z07:00") {
			if t, err := time.Parse(layout, s); err == nil {
				return t, nil
			}
			continue
		}
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.Errorf("invalid time %q: want a duration (10m), a Unix time (1700000000) or RFC 3339 (2024-01-02T15:04:05Z)", s)
}
