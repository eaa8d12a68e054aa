package container

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// Neither view of our binary can be written through, however it is
// reopened: its own path, or a descriptor reopened through /proc.
func TestSealedSelfRefusesWrites(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func() (*os.File, error)
	}{
		{"read-only mount", func() (*os.File, error) { return readOnlyView("/proc/self/exe") }},
		{"sealed memfd", func() (*os.File, error) { return sealedCopyOf("/proc/self/exe") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := tc.open()
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			s := &SealedSelf{f: f}
			w, err := os.OpenFile(s.Path(), os.O_RDWR, 0)
			if err == nil {
				_, err = w.WriteAt([]byte("x"), 0)
				if terr := w.Truncate(0); err == nil {
					err = terr
				}
				w.Close()
			}
			if err == nil {
				t.Fatal("wrote to the sealed binary")
			}
			if tc.name == "read-only mount" {
				var st unix.Statfs_t
				if err := unix.Statfs(s.Path(), &st); err != nil {
					t.Fatal(err)
				}
				if st.Flags&unix.ST_RDONLY == 0 {
					t.Fatalf("mount flags %#x: not read-only", st.Flags)
				}
			}
		})
	}
}

func BenchmarkOpenSealedSelf(b *testing.B) {
	for i := 0; i < b.N; i++ {
		s, err := OpenSealedSelf()
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// Inside keeps the view it opened, but not a failure: the next call
// tries again (a monitor whose first open failed must still be able to
// restart its container), and once a view is open it is the one kept.
func TestInsideRetriesAfterFailure(t *testing.T) {
	saved := openInside
	defer func() {
		openInside = saved
		inside.view = nil
	}()
	inside.view = nil
	calls := 0
	want := &SealedSelf{}
	openInside = func() (*SealedSelf, error) {
		calls++
		if calls == 1 {
			return nil, errors.New("too many open files")
		}
		return want, nil
	}
	if v, err := Inside(); err == nil || v != nil {
		t.Fatalf("first open: %v, %v; want the failure", v, err)
	}
	for i := 0; i < 2; i++ {
		if v, err := Inside(); err != nil || v != want {
			t.Fatalf("open after a failure: %v, %v", v, err)
		}
	}
	if calls != 2 {
		t.Fatalf("%d opens; want 2: one failed, one kept", calls)
	}
}
