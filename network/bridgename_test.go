package network

import (
	"strings"
	"testing"
)

func TestValidIfName(t *testing.T) {
	for name, ok := range map[string]bool{
		"testbridge": true, "br0": true, "a.b-c_d": true, "fifteen-chars15": true,
		"sixteen-chars-16": false, "": false, ".": false, "..": false, "a/b": false, "a b": false, "a:b": false,
	} {
		if got := validIfName(name); got != ok {
			t.Errorf("validIfName(%q) = %v, want %v", name, got, ok)
		}
	}
}

// The MAC and rule comment that mark a bridge as ours differ between
// roots and networks, and the MAC is a locally administered unicast one.
func TestOwnerIsPerRootAndNetwork(t *testing.T) {
	a, b := NewStore("/r1"), NewStore("/r2")
	seen := map[string]bool{}
	for _, tc := range []struct {
		s    *Store
		name string
	}{{a, "testbridge"}, {b, "testbridge"}, {a, "other"}} {
		o := tc.s.owner(&Network{Name: tc.name, Bridge: tc.name})
		if seen[o.mac.String()] || seen[o.comment] {
			t.Errorf("%s %s: ownership %v not unique", tc.s.root, tc.name, o)
		}
		seen[o.mac.String()], seen[o.comment] = true, true
		if o.mac[0]&1 != 0 || o.mac[0]&2 == 0 {
			t.Errorf("mac %s is not locally administered unicast", o.mac)
		}
		if !strings.HasPrefix(o.comment, "mydocker-net:"+tc.name+"@"+bridgePrefix) {
			t.Errorf("comment %q", o.comment)
		}
	}
	gen := a.bridgeName("x")
	if o := a.owner(&Network{Name: "x", Bridge: gen}); o.comment != netComment(gen) {
		t.Errorf("generated bridge's comment %q", o.comment)
	}
}
