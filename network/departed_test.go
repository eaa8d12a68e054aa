package network

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

// testID is a random container ID, so the veth it names is this test's.
func testID(t *testing.T) string {
	t.Helper()
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// A container released while its veth still exists (a --rm container's
// exit leaves the veth to the kernel) keeps its address taken: a new
// container gets another, --ip cannot take it, and network rm does not
// count it as a holder but names its veth. Once the veth is gone the
// address is the lowest free one again.
func TestDepartedAddressWaitsForVeth(t *testing.T) {
	a := testAddrs(t, "10.1.0.0/29") // .2 to .6
	gone, stays := testID(t), testID(t)
	for _, id := range []string{gone, stays} {
		if _, err := a.allocate(id, nil); err != nil {
			t.Fatal(err)
		}
	}
	// stays's veth is still there, gone's is not.
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: vethName(stays)}, PeerName: "mdp" + stays[:11]}
	if err := netlink.LinkAdd(veth); err != nil {
		t.Fatalf("make a link standing for the veth: %v", err)
	}
	defer netlink.LinkDel(veth) //nolint:errcheck
	for _, id := range []string{gone, stays} {
		if found, err := a.release(id); !found || err != nil {
			t.Fatalf("release %s: %v, %v", id[:12], found, err)
		}
	}
	owners, veths, err := a.owners()
	if err != nil || len(owners) != 0 || strings.Join(veths, " ") != vethName(stays) {
		t.Fatalf("owners %v, departing veths %v, %v; want none, and %s", owners, veths, err, vethName(stays))
	}
	// .2 (gone's) is free; .3 (stays's) is not.
	next := func() string {
		t.Helper()
		ip, err := a.allocate(testID(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		return ip.String()
	}
	if got := next(); got != "10.1.0.2" {
		t.Fatalf("first allocation: %s, want the freed 10.1.0.2", got)
	}
	if got := next(); got != "10.1.0.4" {
		t.Fatalf("second allocation: %s, want 10.1.0.4: 10.1.0.3's veth is still there", got)
	}
	if _, err := a.allocate(testID(t), net.ParseIP("10.1.0.3")); err == nil || !strings.Contains(err.Error(), "still in use") {
		t.Fatalf("--ip of the departing address: %v", err)
	}
	// The veth goes: its address is the lowest free again, --ip too.
	if err := netlink.LinkDel(veth); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != "10.1.0.3" {
		t.Fatalf("after the veth went: %s, want 10.1.0.3", got)
	}
	if owners, veths, err := a.owners(); err != nil || len(owners) != 3 || len(veths) != 0 {
		t.Fatalf("owners %v, departing %v, %v", owners, veths, err)
	}
}
