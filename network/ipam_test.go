package network

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestPoolAllocationOrder(t *testing.T) {
	p := &Pool{Subnet: "10.1.0.0/29"} // .0 network, .1 gateway, .7 broadcast
	var got []string
	for i := 0; i < 5; i++ {
		ip, err := p.Allocate(fmt.Sprintf("c%d", i))
		if err != nil {
			t.Fatalf("allocation %d: %v", i, err)
		}
		got = append(got, ip.String())
	}
	want := []string{"10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("allocated %v, want %v", got, want)
	}
	if _, err := p.Allocate("c5"); err == nil {
		t.Fatal("a full /29 handed out a sixth address")
	}
	// The same owner gets its own address back.
	if ip, err := p.Allocate("c2"); err != nil || ip.String() != "10.1.0.4" {
		t.Fatalf("re-allocation for c2: %v %v", ip, err)
	}
	// A released address is the lowest free one again.
	if !p.Release("c1") {
		t.Fatal("release of c1 found nothing")
	}
	if p.Release("c1") {
		t.Fatal("second release found something")
	}
	if ip, err := p.Allocate("c9"); err != nil || ip.String() != "10.1.0.3" {
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
		p := &Pool{Subnet: tc.subnet}
		n := 0
		for {
			if _, err := p.Allocate(fmt.Sprint(n)); err != nil {
				break
			}
			n++
		}
		if n != tc.n {
			t.Errorf("%s: %d addresses, want %d", tc.subnet, n, tc.n)
		}
	}
	for _, bad := range []string{"10.2.0.0/31", "10.2.0.0/32"} {
		if _, err := (&Pool{Subnet: bad}).Allocate("x"); err == nil {
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
	p, err := NewStore(root).loadPool("n1")
	if err != nil || len(p.Allocated) != workers {
		t.Fatalf("persisted pool: %d entries, %v", len(p.Allocated), err)
	}
	if err := NewStore(root).Release("ctr07"); err != nil {
		t.Fatal(err)
	}
	p, _ = NewStore(root).loadPool("n1")
	if len(p.Allocated) != workers-1 {
		t.Fatalf("release not persisted: %d", len(p.Allocated))
	}
	if _, err := os.Stat(filepath.Join(root, "network", "ipam", "n1.json")); err != nil {
		t.Fatal(err)
	}
}
