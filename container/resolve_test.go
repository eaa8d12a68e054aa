package container

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pkg/errors"
)

func newTestStore(t testing.TB) (*Store, []*Record) {
	t.Helper()
	s := NewStore(t.TempDir())
	var recs []*Record
	for _, name := range []string{"web", "db", ""} {
		rec := &Record{Name: name, Image: "busybox", Created: time.Now()}
		if err := s.Create(rec); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	return s, recs
}

func TestResolve(t *testing.T) {
	s, recs := newTestStore(t)
	for _, rec := range recs {
		for _, ref := range []string{rec.ID, rec.ID[:12], rec.Name} {
			if got, err := s.Resolve(ref); err != nil || got != rec.ID {
				t.Errorf("Resolve(%q) = %q, %v; want %s", ref, got, err, rec.ID)
			}
		}
	}
	if _, err := s.Resolve("nosuch"); err == nil || !strings.Contains(err.Error(), "no such container: nosuch") {
		t.Errorf("unknown: %v", err)
	}
	if _, err := s.Resolve(""); err == nil {
		t.Error("empty reference accepted")
	}
	// A name that is also an ID prefix: the full ID wins, then the name.
	if err := s.Create(&Record{Name: recs[0].ID[:5], Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Resolve(recs[0].ID[:5]); err != nil || got == recs[0].ID {
		t.Errorf("name should win over an ID prefix: %q %v", got, err)
	}
}

func TestCreateRefusesDuplicateName(t *testing.T) {
	s, _ := newTestStore(t)
	err := s.Create(&Record{Name: "web", Created: time.Now()})
	if err == nil || !strings.Contains(err.Error(), `"web"`) {
		t.Fatalf("duplicate name: %v", err)
	}
}

func FuzzResolve(f *testing.F) {
	s, recs := newTestStore(f)
	f.Add("web")
	f.Add(recs[0].ID[:3])
	f.Add("")
	f.Add("../..")
	f.Fuzz(func(t *testing.T, ref string) {
		id, err := s.Resolve(ref)
		if err != nil {
			return
		}
		// Whatever resolves names one of the containers.
		for _, r := range recs {
			if r.ID == id {
				return
			}
		}
		t.Fatalf("Resolve(%q) = %q, not a container", ref, id)
	})
}

// A name left by a mydocker killed between claiming it and writing its
// record is taken over once it is old enough, and never while young.
func TestStaleNameTakeover(t *testing.T) {
	s := NewStore(t.TempDir())
	if err := os.MkdirAll(s.namesDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	ghost := filepath.Join(s.namesDir(), "web")
	if err := os.WriteFile(ghost, []byte(strings.Repeat("a", 64)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(&Record{Name: "web", Created: time.Now()}); err == nil {
		t.Fatal("a name claimed an instant ago was taken over")
	}
	old := time.Now().Add(-2 * time.Minute)
	if err := os.Chtimes(ghost, old, old); err != nil {
		t.Fatal(err)
	}
	rec := &Record{Name: "web", Created: time.Now()}
	if err := s.Create(rec); err != nil {
		t.Fatalf("stale name not taken over: %v", err)
	}
	if id, err := s.Resolve("web"); err != nil || id != rec.ID {
		t.Fatalf("Resolve(web) = %q, %v", id, err)
	}
	if err := s.Delete(rec.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ghost); !os.IsNotExist(err) {
		t.Fatalf("name not freed by Delete: %v", err)
	}
}

// A name a live container holds is refused without the store-wide lock
// (generated names clash more often as containers accumulate, and each
// clash used to take it): with the lock held elsewhere, a clashing
// create still ends, and a generated name still finds a free suffix.
func TestNameClashTakesNoStoreLock(t *testing.T) {
	s, recs := newTestStore(t)
	// Every generated name is taken: the one of the next ID cannot be
	// known, so all 400 base names are claimed for a live container.
	for _, a := range adjectives {
		for _, n := range nouns {
			path := filepath.Join(s.namesDir(), a+"_"+n)
			if err := os.WriteFile(path, []byte(recs[0].ID), 0o600); err != nil && !os.IsExist(err) {
				t.Fatal(err)
			}
		}
	}
	held, err := s.globalLock()
	if err != nil {
		t.Fatal(err)
	}
	defer held.Unlock()
	done := make(chan error, 2)
	go func() { done <- s.Create(&Record{Name: "web", Created: time.Now()}) }()
	generated := &Record{Created: time.Now()}
	go func() { done <- s.Create(generated) }()
	for i := 0; i < 2; i++ {
		select {
		case err := <-done:
			var inUse *NameInUseError
			if err != nil && !errors.As(err, &inUse) {
				t.Fatal(err)
			}
		case <-time.After(30 * time.Second): // a hang guard, not a timing
			t.Fatal("a name clash waited for the store lock")
		}
	}
	if !strings.HasSuffix(generated.Name, "2") {
		t.Fatalf("generated name %q, want a base name with suffix 2", generated.Name)
	}
}
