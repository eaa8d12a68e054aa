package container

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseLabels(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "labels")
	if err := os.WriteFile(file, []byte("# a comment\n\n  from=file\nboth=file\r\nempty\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		flags, files []string
		want         map[string]string
	}{
		{nil, nil, nil},
		{[]string{"a=1"}, nil, map[string]string{"a": "1"}},
		{[]string{"a"}, nil, map[string]string{"a": ""}},
		{[]string{"a=x=y"}, nil, map[string]string{"a": "x=y"}},
		{[]string{"a=1", "a=2"}, nil, map[string]string{"a": "2"}}, // the last wins
		{[]string{"a= spaced value "}, nil, map[string]string{"a": " spaced value "}},
		{[]string{"both=flag"}, []string{file}, map[string]string{"from": "file", "both": "flag", "empty": ""}},
	}
	for _, tt := range tests {
		got, err := ParseLabels(tt.flags, tt.files)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseLabels(%q, %q) = %v, %v; want %v", tt.flags, tt.files, got, err, tt.want)
		}
	}
}

func TestParseLabelsInvalid(t *testing.T) {
	for _, l := range []string{"", "=v", " =v", "a b=c", "a\tb", "k=v\x00"} {
		if _, err := ParseLabels([]string{l}, nil); err == nil || !strings.Contains(err.Error(), "invalid label") {
			t.Errorf("label %q: %v", l, err)
		}
	}
	if _, err := ParseLabels(nil, []string{"/nonexistent/labels"}); err == nil || !strings.Contains(err.Error(), "--label-file") {
		t.Errorf("missing label file: %v", err)
	}
}

func TestMergeLabels(t *testing.T) {
	got := MergeLabels(map[string]string{"a": "img", "b": "img"}, map[string]string{"b": "cli", "c": "cli"})
	if want := map[string]string{"a": "img", "b": "cli", "c": "cli"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("MergeLabels = %v, want %v", got, want)
	}
	if MergeLabels(nil, nil) != nil {
		t.Fatal("no labels should stay nil")
	}
}

// FuzzParseLabel: a label is refused with a one-line error or read so
// that KEY=VALUE gives it back.
func FuzzParseLabel(f *testing.F) {
	for _, s := range []string{"a=b", "a", "=b", "a b=c", "com.example.x=1=2", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, v, err := ParseLabel(s)
		if err != nil {
			return
		}
		if strings.TrimSpace(k) == "" || strings.ContainsAny(k, " \t\n") {
			t.Fatalf("accepted key %q", k)
		}
		if back := k + "=" + v; back != s && k != s {
			t.Fatalf("%q read as %q=%q", s, k, v)
		}
	})
}
