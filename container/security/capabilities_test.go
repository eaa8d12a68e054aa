package security

import (
	"reflect"
	"strings"
	"testing"
)

func TestCapabilities(t *testing.T) {
	tests := []struct {
		name       string
		add, drop  []string
		privileged bool
		check      func([]string) bool
		err        string
	}{
		{"defaults", nil, nil, false, func(c []string) bool { return reflect.DeepEqual(c, DefaultCapabilities) }, ""},
		{"docker default mask", nil, nil, false, func(c []string) bool { return CapMask(c) == 0xa80425fb }, ""},
		{"add lower case without prefix", []string{"net_admin"}, nil, false,
			func(c []string) bool { return len(c) == len(DefaultCapabilities)+1 && CapMask(c)&(1<<12) != 0 }, ""},
		{"drop", nil, []string{"CAP_CHOWN", "kill"}, false,
			func(c []string) bool { return len(c) == len(DefaultCapabilities)-2 && CapMask(c)&1 == 0 }, ""},
		{"drop ALL then add", []string{"NET_ADMIN"}, []string{"ALL"}, false,
			func(c []string) bool { return reflect.DeepEqual(c, []string{"CAP_NET_ADMIN"}) }, ""},
		{"add ALL", []string{"all"}, nil, false, func(c []string) bool { return len(c) == len(capNumbers) }, ""},
		{"privileged", nil, nil, true, func(c []string) bool { return len(c) == len(capNumbers) }, ""},
		{"unknown add", []string{"CAP_FLY"}, nil, false, nil, "--cap-add: unknown capability \"CAP_FLY\""},
		{"unknown drop", nil, []string{""}, false, nil, "--cap-drop"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Capabilities(tc.add, tc.drop, tc.privileged)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !tc.check(got) {
				t.Fatalf("Capabilities = %v, %v", got, err)
			}
		})
	}
}

func FuzzCapabilities(f *testing.F) {
	for _, s := range []string{"NET_ADMIN", "cap_chown", "ALL", "", "CAP_", "sys_admin"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, add, drop string) {
		caps, err := Capabilities([]string{add}, []string{drop}, false)
		if err != nil {
			return
		}
		for _, c := range caps {
			if _, ok := capNumbers[c]; !ok {
				t.Fatalf("unknown capability %q in the result", c)
			}
		}
	})
}
