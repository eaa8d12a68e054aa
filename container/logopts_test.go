package container

import (
	"strings"
	"testing"
)

func TestParseLogOpts(t *testing.T) {
	def := LogOptions{MaxSize: DefaultLogMaxSize, MaxFile: DefaultLogMaxFile}
	for _, tc := range []struct {
		opts []string
		want LogOptions
		err  string
	}{
		{nil, def, ""},
		{[]string{"max-size=10m", "max-file=3"}, LogOptions{MaxSize: 10 << 20, MaxFile: 3}, ""},
		{[]string{"max-size=1k"}, LogOptions{MaxSize: 1024, MaxFile: DefaultLogMaxFile}, ""},
		{[]string{"max-size=1024"}, LogOptions{MaxSize: 1024, MaxFile: DefaultLogMaxFile}, ""},
		{[]string{"max-size=2G"}, LogOptions{MaxSize: 2 << 30, MaxFile: DefaultLogMaxFile}, ""},
		{[]string{"max-size=10mb"}, LogOptions{MaxSize: 10 << 20, MaxFile: DefaultLogMaxFile}, ""},
		{[]string{"max-size=10MiB"}, LogOptions{MaxSize: 10 << 20, MaxFile: DefaultLogMaxFile}, ""},
		{[]string{"max-size=100b"}, LogOptions{MaxSize: 100, MaxFile: DefaultLogMaxFile}, ""},
		{[]string{"max-file=1"}, LogOptions{MaxSize: DefaultLogMaxSize, MaxFile: 1}, ""},
		{[]string{"max-file=2", "max-file=4"}, LogOptions{MaxSize: DefaultLogMaxSize, MaxFile: 4}, ""},
		{[]string{"max-size=0"}, LogOptions{}, "want a size"},
		{[]string{"max-size=-1m"}, LogOptions{}, "want a size"},
		{[]string{"max-size=1.5m"}, LogOptions{}, "want a size"},
		{[]string{"max-size=10ib"}, LogOptions{}, "want a size"},
		{[]string{"max-size="}, LogOptions{}, "want a size"},
		{[]string{"max-size=99999999999999999999"}, LogOptions{}, "want a size"},
		{[]string{"max-size=99999999999g"}, LogOptions{}, "want a size"},
		{[]string{"max-file=0"}, LogOptions{}, "max-file"},
		{[]string{"max-file=101"}, LogOptions{}, "max-file"},
		{[]string{"max-file=03"}, LogOptions{}, "max-file"},
		{[]string{"max-file=x"}, LogOptions{}, "max-file"},
		{[]string{"max-size"}, LogOptions{}, "KEY=VALUE"},
		{[]string{"compress=true"}, LogOptions{}, "unknown --log-opt"},
		{[]string{"=1"}, LogOptions{}, "unknown --log-opt"},
	} {
		got, err := ParseLogOpts(tc.opts)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseLogOpts(%q) = %+v, %v; want error with %q", tc.opts, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseLogOpts(%q) = %+v, %v; want %+v", tc.opts, got, err, tc.want)
		}
	}
}

// FuzzParseLogOpts: whatever is typed, the result is an error or options
// the log writer can work with.
func FuzzParseLogOpts(f *testing.F) {
	for _, s := range []string{"max-size=10m", "max-file=3", "max-size=1k", "max-size=", "x", "max-file=-1", "max-size=1gib"} {
		f.Add(s, "max-file=2")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		o, err := ParseLogOpts([]string{a, b})
		if err != nil {
			return
		}
		if o.MaxSize < 1 || o.MaxSize > 1<<50 || o.MaxFile < 1 || o.MaxFile > maxLogFiles {
			t.Fatalf("ParseLogOpts(%q, %q) = %+v", a, b, o)
		}
	})
}
