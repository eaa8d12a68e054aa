package network

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkPoolAllocate allocates the last free address of a /24 with 250
// taken (no lock, no pool file): the bitmap scan's worst case there.
func BenchmarkPoolAllocate(b *testing.B) {
	p := testAddrs(b, "10.5.0.0/24")
	for i := 0; i < 250; i++ {
		if _, err := p.allocate(fmt.Sprint(i), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.allocate("new", nil); err != nil {
			b.Fatal(err)
		}
		if _, err := p.release("new"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoreAllocate is one persisted allocation and release, with
// the lock and writes a run and an rm pay, in a network with none and
// with 1,000 addresses already allocated: the cost must not grow with
// them.
func BenchmarkStoreAllocate(b *testing.B) {
	for _, held := range []int{0, 1000} {
		b.Run(fmt.Sprintf("allocated=%d", held), func(b *testing.B) {
			s := NewStore(b.TempDir())
			n := &Network{Name: "n", Driver: "bridge", Subnet: "10.6.0.0/16", Gateway: "10.6.0.1", Bridge: "x"}
			if err := s.save(n, &Pool{Subnet: n.Subnet}); err != nil {
				b.Fatal(err)
			}
			for i := 0; i < held; i++ {
				// Container IDs: 64 hex digits, as random as real ones.
				if _, _, err := s.Allocate("n", fmt.Sprintf("%064x", uint64(i)*0x9e3779b97f4a7c15), nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := s.Allocate("n", strings.Repeat("c", 64), nil); err != nil {
					b.Fatal(err)
				}
				if err := s.Release(strings.Repeat("c", 64)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
