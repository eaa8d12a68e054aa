package container

import (
	"reflect"
	"strings"
	"testing"

	"mydocker/constant"
)

func TestParseEnv(t *testing.T) {
	t.Setenv("MYDOCKER_TEST_SET", "from-caller")
	tests := []struct {
		in      []string
		want    []string
		wantErr string
	}{
		{[]string{"A=1", "B=x y", "C="}, []string{"A=1", "B=x y", "C="}, ""},
		{[]string{"A=b=c"}, []string{"A=b=c"}, ""},
		{[]string{"MYDOCKER_TEST_SET"}, []string{"MYDOCKER_TEST_SET=from-caller"}, ""},
		{[]string{"MYDOCKER_TEST_UNSET_XYZ"}, []string{}, ""},
		{[]string{"=x"}, nil, "empty variable name"},
		{[]string{""}, nil, "empty variable name"},
		{[]string{"A B=1"}, nil, "bad variable name"},
		{[]string{"A=\x00"}, nil, "bad variable name"},
	}
	for _, tc := range tests {
		got, err := ParseEnv(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseEnv(%q) error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseEnv(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestMergeEnv(t *testing.T) {
	tests := []struct {
		base, extra, want []string
	}{
		{nil, nil, []string{"PATH=" + constant.DefaultPath}},
		{nil, []string{"A=1", "A=2"}, []string{"A=2", "PATH=" + constant.DefaultPath}},
		// The image's env first, -e over it, in the image's order.
		{[]string{"PATH=/x", "HOME=/h", "A=1"}, []string{"A=2", "B=3"}, []string{"PATH=/x", "HOME=/h", "A=2", "B=3"}},
		{[]string{"A=img", "B=img"}, []string{"PATH=/mine", "B=cli"}, []string{"A=img", "B=cli", "PATH=/mine"}},
		// HOME is not defaulted here: init takes it from /etc/passwd.
		{[]string{"X=1"}, nil, []string{"X=1", "PATH=" + constant.DefaultPath}},
	}
	for _, tc := range tests {
		if got := MergeEnv(tc.base, tc.extra); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("MergeEnv(%q, %q) = %q, want %q", tc.base, tc.extra, got, tc.want)
		}
	}
}

func FuzzParseEnv(f *testing.F) {
	for _, s := range []string{"A=1", "A", "=", "A B=c", "K=v=w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseEnv([]string{s})
		if err != nil {
			return
		}
		for _, kv := range got {
			k, _, ok := strings.Cut(kv, "=")
			if !ok || k == "" || strings.ContainsAny(k, " \t\n") || strings.ContainsRune(kv, 0) {
				t.Fatalf("ParseEnv(%q) accepted bad entry %q", s, kv)
			}
		}
	})
}
