package network

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Join and Leave keep every member's hosts file listing the others, each
// file rewritten in place (a bind mount keeps its inode).
func TestJoinLeaveRewriteHosts(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir)
	hosts := func(id string) string { return filepath.Join(dir, id+".hosts") }
	base := func(id string) string { return "127.0.0.1\tlocalhost\n" + id + "-self\n" }
	for _, id := range []string{"a", "b", "c", "other"} {
		if err := os.WriteFile(hosts(id), []byte(base(id)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inode := func(id string) uint64 {
		fi, err := os.Stat(hosts(id))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	before := inode("a")
	steps := []struct {
		do   func() error
		want map[string]string
	}{
		{func() error {
			return s.Join("n1", "a", Member{IP: "10.0.0.3", Names: []string{"a", "alias"}, Hosts: hosts("a"), Base: base("a")})
		}, map[string]string{"a": base("a")}},
		{func() error {
			return s.Join("n1", "b", Member{IP: "10.0.0.2", Names: []string{"b"}, Hosts: hosts("b"), Base: base("b")})
		}, map[string]string{"a": base("a") + "10.0.0.2\tb\n", "b": base("b") + "10.0.0.3\ta alias\n"}},
		{func() error {
			return s.Join("n2", "other", Member{IP: "10.1.0.2", Names: []string{"other"}, Hosts: hosts("other"), Base: base("other")})
		}, map[string]string{"a": base("a") + "10.0.0.2\tb\n", "other": base("other")}},
		{func() error {
			return s.Join("n1", "c", Member{IP: "10.0.0.4", Names: []string{"c"}, Hosts: hosts("c"), Base: base("c")})
		}, map[string]string{"a": base("a") + "10.0.0.2\tb\n10.0.0.4\tc\n", "c": base("c") + "10.0.0.2\tb\n10.0.0.3\ta alias\n"}},
		{func() error { return s.Leave("a") }, map[string]string{"b": base("b") + "10.0.0.4\tc\n", "c": base("c") + "10.0.0.2\tb\n"}},
		{func() error { return s.Leave("a") }, map[string]string{"b": base("b") + "10.0.0.4\tc\n"}},
		// A member whose file is gone (removed meanwhile) is skipped.
		{func() error {
			os.Remove(hosts("c"))
			return s.Leave("b")
		}, map[string]string{"other": base("other")}},
	}
	for i, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		for id, want := range st.want {
			if got, _ := os.ReadFile(hosts(id)); string(got) != want {
				t.Errorf("step %d: %s's hosts %q, want %q", i, id, got, want)
			}
		}
	}
	if inode("a") != before {
		t.Error("a hosts file was replaced, not rewritten in place")
	}
}
