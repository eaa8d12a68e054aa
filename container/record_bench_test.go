package container

import (
	"testing"
	"time"
)

func BenchmarkRecordSave(b *testing.B) {
	s := NewStore(b.TempDir())
	rec := &Record{Name: "bench", Image: "busybox", Created: time.Now(), Config: Config{Cmd: []string{"true"}}, Layers: []string{"/layer"}, State: State{Status: StatusCreated}}
	if err := s.Create(rec); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Save(rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecordLoad(b *testing.B) {
	s := NewStore(b.TempDir())
	rec := &Record{Name: "bench", Image: "busybox", Created: time.Now(), Config: Config{Cmd: []string{"true"}}, Layers: []string{"/layer"}, State: State{Status: StatusCreated}}
	if err := s.Create(rec); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Get(rec.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResolve resolves a name among 100 containers, the slowest
// path (every record is read).
func BenchmarkResolve(b *testing.B) {
	s := NewStore(b.TempDir())
	for i := 0; i < 100; i++ {
		if err := s.Create(&Record{Created: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
	target := &Record{Name: "needle", Created: time.Now()}
	if err := s.Create(target); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if id, err := s.Resolve("needle"); err != nil || id != target.ID {
			b.Fatal(id, err)
		}
	}
}

func BenchmarkResolvePrefix(b *testing.B) {
	s := NewStore(b.TempDir())
	var last *Record
	for i := 0; i < 100; i++ {
		last = &Record{Created: time.Now()}
		if err := s.Create(last); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Resolve(last.ID); err != nil {
			b.Fatal(err)
		}
	}
}
