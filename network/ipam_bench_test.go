package network

import (
	"fmt"
	"testing"
)

// BenchmarkPoolAllocate allocates the last free address of a /24 with 250
// taken: the worst case of the linear lowest-free scan.
func BenchmarkPoolAllocate(b *testing.B) {
	p := &Pool{Subnet: "10.5.0.0/24"}
	for i := 0; i < 250; i++ {
		if _, err := p.Allocate(fmt.Sprint(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Allocate("new"); err != nil {
			b.Fatal(err)
		}
		p.Release("new")
	}
}

// BenchmarkStoreAllocate is one persisted allocation and release, with
// the lock and atomic writes a run and an rm pay.
func BenchmarkStoreAllocate(b *testing.B) {
	s := NewStore(b.TempDir())
	n := &Network{Name: "n", Driver: "bridge", Subnet: "10.6.0.0/24", Gateway: "10.6.0.1", Bridge: "x"}
	if err := s.save(n, &Pool{Subnet: n.Subnet}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := s.Allocate("n", "c", nil); err != nil {
			b.Fatal(err)
		}
		if err := s.Release("c"); err != nil {
			b.Fatal(err)
		}
	}
}
