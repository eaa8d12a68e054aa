package pod

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mydocker/container"
)

func TestParseShare(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // joined by ","; "!" for an error
	}{
		{"", ""},
		{"none", ""},
		{"net", "net"},
		{"net,ipc,uts", "net,ipc,uts"},
		{"uts,net,uts", "uts,net"},
		{"pid", "!"},
		{"net,cgroup", "!"},
		{"net,", "!"},
		{",", "!"},
		{"NET", "!"},
		{"net ipc", "!"},
	} {
		got, err := ParseShare(c.in)
		if c.want == "!" {
			if err == nil {
				t.Errorf("ParseShare(%q) = %v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != c.want {
			t.Errorf("ParseShare(%q) = %v, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func FuzzParseShare(f *testing.F) {
	for _, s := range []string{"", "none", "net,ipc,uts", "pid", "net,,ipc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseShare(s)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, ns := range got {
			if (ns != ShareNet && ns != ShareIPC && ns != ShareUTS) || seen[ns] {
				t.Fatalf("ParseShare(%q) = %v", s, got)
			}
			seen[ns] = true
		}
	})
}

func TestState(t *testing.T) {
	rec := func(status string) *container.Record {
		return &container.Record{State: container.State{Status: status}}
	}
	const (
		c = container.StatusCreated
		r = container.StatusRunning
		x = container.StatusExited
	)
	for _, tc := range []struct {
		states []string
		want   string
	}{
		{nil, StateCreated},
		{[]string{c}, StateCreated},
		{[]string{c, c}, StateCreated},
		{[]string{r}, StateRunning},
		{[]string{r, r}, StateRunning},
		{[]string{r, x}, StateDegraded},
		{[]string{r, c}, StateDegraded},
		{[]string{x}, StateExited},
		{[]string{x, c}, StateExited},
	} {
		var recs []*container.Record
		for _, s := range tc.states {
			recs = append(recs, rec(s))
		}
		if got := State(recs); got != tc.want {
			t.Errorf("State(%v) = %s, want %s", tc.states, got, tc.want)
		}
	}
}

func TestStoreCreateResolveDelete(t *testing.T) {
	s := NewStore(t.TempDir())
	mk := func(id, name string) *Pod {
		return &Pod{ID: strings.Repeat(id, 64), Name: name, Created: time.Now(), SharedNamespaces: DefaultShare}
	}
	lock, err := s.Lock() // Create's callers hold it
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	a, b := mk("a", "web"), mk("b", "db")
	for _, p := range []*Pod{a, b} {
		if err := s.Create(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Create(mk("c", "web")); err == nil {
		t.Error("a second pod named web was made")
	}
	for _, c := range []struct{ ref, want string }{
		{"web", a.ID}, {"db", b.ID}, {"aaa", a.ID}, {b.ID, b.ID},
		{"c", ""}, {"", ""}, {"../x", ""}, {"we", ""},
	} {
		p, err := s.Resolve(c.ref)
		switch {
		case c.want == "" && err == nil:
			t.Errorf("Resolve(%q) found %s", c.ref, p.Name)
		case c.want != "" && (err != nil || p.ID != c.want):
			t.Errorf("Resolve(%q) = %v, %v", c.ref, p, err)
		}
	}
	if err := s.Delete("../" + a.ID); err == nil {
		t.Error("Delete took a path")
	}
	if err := s.Delete(a.ID); err != nil {
		t.Fatal(err)
	}
	if pods, err := s.List(); err != nil || len(pods) != 1 || pods[0].ID != b.ID {
		t.Errorf("after delete: %v %v", pods, err)
	}
	if err := s.Delete(a.ID); err != nil {
		t.Errorf("second Delete: %v", err)
	}
	// A delete killed after its rename leaves its directory aside, under
	// the prefix the next Create removes.
	if err := os.Mkdir(filepath.Join(s.Dir, tmpPrefix+"rm-"+a.ID), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(&Pod{ID: strings.Repeat("c", 64), Name: "c"}); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(s.Dir, tmpPrefix+"*")); len(left) > 0 {
		t.Errorf("Create left %v", left)
	}
}
