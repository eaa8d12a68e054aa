package network

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// testAddrs is the address state of a network with subnet, in a new
// state root.
func testAddrs(t testing.TB, subnet string) *addrSet {
	t.Helper()
	s := NewStore(t.TempDir())
	if err := os.MkdirAll(filepath.Join(s.dir, "ipam"), 0o700); err != nil {
		t.Fatal(err)
	}
	a, err := s.addrs("n", &Pool{Subnet: subnet})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestPoolAllocationOrder(t *testing.T) {
	p := testAddrs(t, "10.1.0.0/29") // .0 network, .1 gateway, .7 broadcast
	var got []string
	for i := 0; i < 5; i++ {
		ip, err := p.allocate(fmt.Sprintf("c%d", i), nil)
		if err != nil {
			t.Fatalf("allocation %d: %v", i, err)
		}
		got = append(got, ip.String())
	}
	want := []string{"10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("allocated %v, want %v", got, want)
	}
	if _, err := p.allocate("c5", nil); err == nil {
		t.Fatal("a full /29 handed out a sixth address")
	}
	// The same owner gets its own address back.
	if ip, err := p.allocate("c2", nil); err != nil || ip.String() != "10.1.0.4" {
		t.Fatalf("re-allocation for c2: %v %v", ip, err)
	}
	// A released address is the lowest free one again.
	if found, err := p.release("c1"); !found || err != nil {
		t.Fatalf("release of c1 found nothing: %v", err)
	}
	if found, err := p.release("c1"); found || err != nil {
		t.Fatalf("second release found something: %v", err)
	}
	if ip, err := p.allocate("c9", nil); err != nil || ip.String() != "10.1.0.3" {
		t.Fatalf("after release: %v %v", ip, err)
	}
}

func TestPoolSubnetSizes(t *testing.T) {
	tests := []struct {
		subnet string
		n      int // assignable addresses
	}{
		{"10.2.0.0/30", 1}, {"10.2.0.0/29", 5}, {"10.2.0.0/24", 253},
	}
	for _, tc := range tests {
		p := testAddrs(t, tc.subnet)
		n := 0
		for {
			if _, err := p.allocate(fmt.Sprint(n), nil); err != nil {
				break
			}
			n++
		}
		if n != tc.n {
			t.Errorf("%s: %d addresses, want %d", tc.subnet, n, tc.n)
		}
	}
	for _, bad := range []string{"10.2.0.0/31", "10.2.0.0/32"} {
		if _, err := NewStore(t.TempDir()).addrs("n", &Pool{Subnet: bad}); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestParseSubnet(t *testing.T) {
	for s, ok := range map[string]bool{
		"10.0.0.0/24": true, "192.168.5.0/29": true, "10.0.0.7/24": false, "10.0.0.0/31": false,
		"fd00::/64": false, "nonsense": false, "10.0.0.0": false, "127.0.0.0/24": false,
		"224.0.0.0/24": false, "169.254.0.0/16": false, "0.0.0.0/8": false,
	} {
		if _, err := ParseSubnet(s); (err == nil) != ok {
			t.Errorf("ParseSubnet(%q) error %v, want ok=%v", s, err, ok)
		}
	}
	_, sub, _ := net.ParseCIDR("10.9.0.0/24")
	if gw, err := Gateway(sub); err != nil || gw.String() != "10.9.0.1" {
		t.Errorf("gateway %v %v", gw, err)
	}
}

// The pool on disk survives processes and is shared under the lock: many
// goroutines allocating at once (each its own Store, like separate
// mydocker processes) never get the same address.
func TestStoreAllocateConcurrentAndPersistent(t *testing.T) {
	root := t.TempDir()
	s := NewStore(root)
	n := &Network{Name: "n1", Driver: "bridge", Subnet: "10.3.0.0/26", Gateway: "10.3.0.1", Bridge: "x"}
	if err := s.save(n, &Pool{Subnet: n.Subnet}); err != nil {
		t.Fatal(err)
	}
	const workers = 40
	var wg sync.WaitGroup
	ips := make([]string, workers)
	errs := make([]error, workers)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, ip, err := NewStore(root).Allocate("n1", fmt.Sprintf("ctr%02d", i), nil)
			errs[i] = err
			if ip != nil {
				ips[i] = ip.String()
			}
		}(i)
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, ip := range ips {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if seen[ip] {
			t.Fatalf("address %s handed out twice", ip)
		}
		seen[ip] = true
	}
	// A fresh Store (a new process) sees the same allocations.
	if held := heldIn(t, root, "n1"); len(held) != workers {
		t.Fatalf("persisted pool: %d holders", len(held))
	}
	if err := NewStore(root).Release("ctr07"); err != nil {
		t.Fatal(err)
	}
	if held := heldIn(t, root, "n1"); len(held) != workers-1 {
		t.Fatalf("release not persisted: %d holders", len(held))
	}
	if _, err := os.Stat(filepath.Join(root, "network", "ipam", "n1.json")); err != nil {
		t.Fatal(err)
	}
}

// heldIn lists the holders of addresses in network name of root, as a
// new process reads them.
func heldIn(t *testing.T, root, name string) []string {
	t.Helper()
	s := NewStore(root)
	p, err := s.loadPool(name)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.addrs(name, p)
	if err != nil {
		t.Fatal(err)
	}
	held, _, err := a.owners()
	if err != nil {
		t.Fatal(err)
	}
	return held
}

// A pool written by an older mydocker, every allocation in its JSON, is
// moved to the links on first use: the holders keep their addresses,
// the next address is the lowest free one, and the JSON is left empty.
func TestPoolMigration(t *testing.T) {
	root := t.TempDir()
	s := NewStore(root)
	n := &Network{Name: "old", Driver: "bridge", Subnet: "10.4.0.0/24", Gateway: "10.4.0.1", Bridge: "x"}
	legacy := &Pool{Subnet: n.Subnet, Allocated: map[string]string{"10.4.0.2": "a", "10.4.0.4": "b", "10.4.0.3": "c"}}
	if err := s.save(n, legacy); err != nil {
		t.Fatal(err)
	}
	if err := s.Release("c"); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ owner, want string }{
		{"a", "10.4.0.2"}, {"b", "10.4.0.4"}, {"d", "10.4.0.3"}, {"e", "10.4.0.5"},
	}
	for _, tc := range tests {
		if _, ip, err := s.Allocate("old", tc.owner, nil); err != nil || ip.String() != tc.want {
			t.Errorf("Allocate(%s) = %v, %v; want %s", tc.owner, ip, err, tc.want)
		}
	}
	p, err := s.loadPool("old")
	if err != nil || len(p.Allocated) != 0 || p.Subnet != n.Subnet {
		t.Errorf("pool after migration: %+v, %v", p, err)
	}
}

// Addresses an older mydocker kept as links (addr/<ip> -> holder, with
// owner links and a bitmap beside them) move into the slots on first
// use: every holder keeps its address, a stale owner link or a wrong
// bitmap is ignored, and the links are gone.
func TestAddrsMigrateFromLinks(t *testing.T) {
	root := t.TempDir()
	s := NewStore(root)
	n := &Network{Name: "old", Driver: "bridge", Subnet: "10.7.0.0/29", Gateway: "10.7.0.1", Bridge: "x"} // .2 to .6
	if err := s.save(n, &Pool{Subnet: n.Subnet}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "network", "ipam", "old.d")
	links := map[string]string{
		"addr/10.7.0.2": "a",
		"addr/10.7.0.4": "b",
		"addr/10.9.9.9": "outside", // not a host address: dropped
		"owner/a":       "10.7.0.2",
		"owner/b":       "10.7.0.4",
		"owner/c":       "10.7.0.3", // a killed allocate's: c holds nothing
		"owner/.c.tmp":  "10.7.0.3",
	}
	for name, target := range links {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, path); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bitmap"), []byte{0xff}, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ owner, want string }{
		{"b", "10.7.0.4"}, {"c", "10.7.0.3"}, {"a", "10.7.0.2"}, {"d", "10.7.0.5"}, {"e", "10.7.0.6"},
	}
	for _, tc := range tests {
		if _, ip, err := NewStore(root).Allocate("old", tc.owner, nil); err != nil || ip.String() != tc.want {
			t.Errorf("Allocate(%s) = %v, %v; want %s", tc.owner, ip, err, tc.want)
		}
	}
	if _, _, err := s.Allocate("old", "f", nil); !errors.Is(err, ErrFull) {
		t.Errorf("allocate in a full subnet: %v", err)
	}
	if held := heldIn(t, root, "old"); fmt.Sprint(held) != "[a c b d e]" {
		t.Errorf("holders in address order = %v", held)
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Errorf("the old links are still there: %v", err)
	}
}

// The slots of a large subnet stay as small as the addresses taken: an
// --ip far up a /16 leaves a hole below it, not 4 MiB of zeros to read;
// a released address is free again, and what is taken below stays taken.
func TestAddrsSparseSlots(t *testing.T) {
	a := testAddrs(t, "10.9.0.0/16")
	if _, err := a.allocate("low", nil); err != nil {
		t.Fatal(err)
	}
	if ip, err := a.allocate("high", net.ParseIP("10.9.255.250")); err != nil || ip.String() != "10.9.255.250" {
		t.Fatalf("--ip high: %v %v", ip, err)
	}
	if ip, err := a.allocate("next", nil); err != nil || ip.String() != "10.9.0.3" {
		t.Fatalf("lowest free below a hole: %v %v", ip, err)
	}
	if _, err := a.allocate("other", net.ParseIP("10.9.255.250")); err == nil || !strings.Contains(err.Error(), "already in use by container high") {
		t.Fatalf("a taken --ip: %v", err)
	}
	var st unix.Stat_t
	if err := unix.Stat(a.path, &st); err != nil {
		t.Fatal(err)
	}
	if st.Blocks*512 > 64<<10 {
		t.Errorf("slots file of 3 addresses uses %d bytes on disk", st.Blocks*512)
	}
	// A scan reads the data, not the 4 MiB hole under 10.9.255.250.
	f, err := a.open()
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	if err := a.walk(f, func(_ int64, chunk []byte) bool { read += len(chunk); return true }); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if read > 256<<10 {
		t.Errorf("a scan read %d bytes of a slots file holding 3 addresses", read)
	}
	if found, err := a.release("high"); !found || err != nil {
		t.Fatalf("release high: %v %v", found, err)
	}
	if ip, err := a.allocate("other", net.ParseIP("10.9.255.250")); err != nil || ip.String() != "10.9.255.250" {
		t.Fatalf("--ip of the released address: %v %v", ip, err)
	}
	if found, err := a.release("low"); !found || err != nil {
		t.Fatalf("release low: %v %v", found, err)
	}
	if held, _, err := a.owners(); err != nil || fmt.Sprint(held) != "[next other]" {
		t.Fatalf("holders = %v, %v", held, err)
	}
	if ip, err := a.allocate("again", nil); err != nil || ip.String() != "10.9.0.2" {
		t.Fatalf("reuse of the freed lowest: %v %v", ip, err)
	}
}

// Only what fits a slot can hold an address: a container ID fits, a
// longer name or one with a NUL does not.
func TestAddrsOwnerMustFitSlot(t *testing.T) {
	a := testAddrs(t, "10.10.0.0/24")
	id := strings.Repeat("ab", 32)
	if ip, err := a.allocate(id, nil); err != nil || ip.String() != "10.10.0.2" {
		t.Fatalf("container ID: %v %v", ip, err)
	}
	for _, bad := range []string{"", id + "x", "a\x00b"} {
		if _, err := a.allocate(bad, nil); err == nil {
			t.Errorf("holder %q accepted", bad)
		}
	}
	if ip, err := a.allocate(id, nil); err != nil || ip.String() != "10.10.0.2" {
		t.Fatalf("container ID again: %v %v", ip, err)
	}
}

// A thousand containers in one network get a thousand distinct
// addresses, the lowest first; freed ones are handed out again, lowest
// first, and each holder keeps its own across processes.
func TestStoreThousandAllocations(t *testing.T) {
	root := t.TempDir()
	s := NewStore(root)
	n := &Network{Name: "big", Driver: "bridge", Subnet: "10.8.0.0/22", Gateway: "10.8.0.1", Bridge: "x"}
	if err := s.save(n, &Pool{Subnet: n.Subnet}); err != nil {
		t.Fatal(err)
	}
	const count = 1000
	seen := map[string]string{}
	for i := 0; i < count; i++ {
		owner := fmt.Sprintf("ctr%04d", i)
		_, ip, err := s.Allocate("big", owner, nil)
		if err != nil {
			t.Fatalf("allocation %d: %v", i, err)
		}
		if other, dup := seen[ip.String()]; dup {
			t.Fatalf("%s handed to %s and %s", ip, other, owner)
		}
		seen[ip.String()] = owner
		// Lowest first: .2, .3, ... across the /22.
		if want := uintToIP(ipToUint(net.ParseIP("10.8.0.2")) + uint32(i)); !ip.Equal(want) {
			t.Fatalf("allocation %d got %s, want %s", i, ip, want)
		}
	}
	if held := heldIn(t, root, "big"); len(held) != count {
		t.Fatalf("%d holders, want %d", len(held), count)
	}
	// Constant work: an allocation writes its own entries, never a file
	// listing every other (which grew and was rewritten per allocation).
	poolFile := filepath.Join(root, "network", "ipam", "big.json")
	before, _ := os.Stat(poolFile)
	if _, _, err := s.Allocate("big", "one-more", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Release("one-more"); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(poolFile)
	if err != nil || !os.SameFile(before, after) || after.Size() > 200 {
		t.Fatalf("the pool file was rewritten or grew with the allocations: %v, %d bytes", err, after.Size())
	}
	// Free every other one; each holder still has its own address.
	for i := 0; i < count; i += 2 {
		if err := NewStore(root).Release(fmt.Sprintf("ctr%04d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if held := heldIn(t, root, "big"); len(held) != count/2 {
		t.Fatalf("%d holders after releasing half, want %d", len(held), count/2)
	}
	for ip, owner := range seen {
		var i int
		fmt.Sscanf(owner, "ctr%d", &i)
		if i%2 == 0 {
			continue
		}
		if _, got, err := NewStore(root).Allocate("big", owner, nil); err != nil || got.String() != ip {
			t.Fatalf("%s holds %s, got %v %v", owner, ip, got, err)
		}
	}
	// New holders get the freed addresses, lowest first.
	for i := 0; i < count/2; i++ {
		_, ip, err := s.Allocate("big", fmt.Sprintf("new%04d", i), nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := uintToIP(ipToUint(net.ParseIP("10.8.0.2")) + uint32(2*i)); !ip.Equal(want) {
			t.Fatalf("new allocation %d got %s, want %s", i, ip, want)
		}
	}
	if err := s.RemoveFreeing("big", func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if entries, err := os.ReadDir(filepath.Join(root, "network", "ipam")); err != nil || len(entries) != 0 {
		t.Fatalf("left in ipam after network rm: %v %v", entries, err)
	}
}
