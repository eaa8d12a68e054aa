package container

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The short-ID links follow their container, never take a live
// container's link, take over a stale one, and never remove anything
// that is not a link of theirs.
func TestShortIDLinks(t *testing.T) {
	s := NewStore(t.TempDir())
	id1 := "abcdef012345" + strings.Repeat("1", 52)
	id2 := "abcdef012345" + strings.Repeat("2", 52) // same short ID
	id3 := "fedcba987654" + strings.Repeat("3", 52)
	for _, id := range []string{id1, id2, id3} {
		if err := os.MkdirAll(s.Dir(id), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	clink, olink := s.shortLinks(id1)
	target := func(p string) string {
		got, err := os.Readlink(p)
		if err != nil {
			return "none"
		}
		return got
	}
	steps := []struct {
		what string
		do   func() error
		want string // the short ID's links' target
	}{
		{"link id1", func() error { return s.linkShortID(id1) }, id1},
		{"a colliding container gets none", func() error { return s.linkShortID(id2) }, id1},
		{"its removal leaves id1's", func() error { return s.unlinkShortID(id2) }, id1},
		{"id1's rm killed after its record went: stale, taken over", func() error {
			if err := os.RemoveAll(s.Dir(id1)); err != nil {
				return err
			}
			return s.linkShortID(id2)
		}, id2},
		{"id2 removed", func() error { return s.unlinkShortID(id2) }, "none"},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.what, err)
		}
		if got := target(clink); got != st.want {
			t.Fatalf("%s: containers link -> %s, want %s", st.what, got, st.want)
		}
		if got := target(olink); got != st.want {
			t.Fatalf("%s: overlay2 link -> %s, want %s", st.what, got, st.want)
		}
	}
	// Something that is not a link where id3's would go is never removed.
	c3, _ := s.shortLinks(id3)
	if err := os.WriteFile(c3, []byte("not mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.linkShortID(id3); err != nil {
		t.Fatal(err)
	}
	if err := s.unlinkShortID(id3); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(c3); err != nil || string(b) != "not mine" {
		t.Fatalf("a file in the way was touched: %q %v", b, err)
	}
	// The links are relative: a moved root keeps them right.
	if err := s.linkShortID(id1); err != nil {
		t.Fatal(err)
	}
	if got := target(clink); filepath.IsAbs(got) {
		t.Fatalf("absolute link %s", got)
	}
}
