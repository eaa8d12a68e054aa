package container

import (
	"testing"
	"time"
)

func TestParseLogTime(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	local := func(y int, mo time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, mo, d, h, mi, s, 0, time.Local)
	}
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"10m", now.Add(-10 * time.Minute), true},
		{"1h30m", now.Add(-90 * time.Minute), true},
		{"0s", now, true},
		{"1700000000", time.Unix(1700000000, 0), true},
		{"1700000000.5", time.Unix(1700000000, 500000000), true},
		{"1700000000.000000001", time.Unix(1700000000, 1), true},
		{"2024-01-02T03:04:05Z", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), true},
		{"2024-01-02T03:04:05.25+02:00", time.Date(2024, 1, 2, 1, 4, 5, 250000000, time.UTC), true},
		{"2024-01-02T03:04:05", local(2024, 1, 2, 3, 4, 5), true},
		{"2024-01-02T03:04", local(2024, 1, 2, 3, 4, 0), true},
		{"2024-01-02T03", local(2024, 1, 2, 3, 0, 0), true},
		{"2024-01-02", local(2024, 1, 2, 0, 0, 0), true},
		{"2024-01-02Z", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), true},
		{"", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"10", time.Unix(10, 0), true},
		{"1700000000.1234567890", time.Time{}, false},
		{"-1", time.Time{}, false},
		{"2024-13-02", time.Time{}, false},
		{"10x", time.Time{}, false},
	} {
		got, err := ParseLogTime(tc.in, now)
		if (err == nil) != tc.ok {
			t.Errorf("ParseLogTime(%q) error %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && !got.Equal(tc.want) {
			t.Errorf("ParseLogTime(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func FuzzParseLogTime(f *testing.F) {
	for _, s := range []string{"10m", "1700000000.5", "2024-01-02T03:04:05Z", "2024-01-02", ""} {
		f.Add(s)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseLogTime(s, now)
		if err == nil && got.IsZero() && s != "0001-01-01" {
			// Only a date of year 1 can be the zero time; anything else
			// parsed to zero would make --since a no-op silently.
			if _, derr := time.ParseDuration(s); derr != nil {
				t.Fatalf("ParseLogTime(%q) = zero time", s)
			}
		}
	})
}
