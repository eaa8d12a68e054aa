package container

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// A reader racing a writer sees the old record or the new one, never a
// torn or empty file: Save replaces config.json atomically.
func TestRecordWritesAreAtomic(t *testing.T) {
	s := NewStore(t.TempDir())
	id := strings.Repeat("ab", 32)
	if err := os.MkdirAll(s.Dir(id), 0o700); err != nil {
		t.Fatal(err)
	}
	// Large records, so a plain write is many pages and a reader can land
	// between its truncate and its last byte.
	versions := make([]*Record, 2)
	for i := range versions {
		env := make([]string, 20000)
		for j := range env {
			env[j] = fmt.Sprintf("V%d_%d=%d", i, j, i)
		}
		versions[i] = &Record{ID: id, Name: "atomic", Image: "busybox", Created: time.Now(), Layers: []string{"/var/lib/mydocker/layers/sha256/x"},
			Config: Config{Cmd: []string{"sh"}, Env: env}, State: State{Status: StatusCreated}}
	}
	if err := s.Save(versions[0]); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.Save(versions[i%2]); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	for i := 0; i < 300; i++ {
		rec, err := s.Load(id)
		if err != nil {
			t.Fatalf("read %d saw a torn record: %v", i, err)
		}
		if len(rec.Config.Env) != 20000 || rec.ID != id {
			t.Fatalf("read %d: %d env entries, id %q", i, len(rec.Config.Env), rec.ID)
		}
	}
}
