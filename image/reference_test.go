package image

import "testing"

func TestParseReference(t *testing.T) {
	for _, tc := range []struct{ in, canon, familiar string }{
		{"busybox", "docker.io/library/busybox:latest", "busybox:latest"},
		{"busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"},
		{"docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest"},
		{"index.docker.io/library/busybox:x", "docker.io/library/busybox:x", "busybox:x"},
		{"user/app", "docker.io/user/app:latest", "user/app:latest"},
		{"localhost:5000/a/b:1", "localhost:5000/a/b:1", "localhost:5000/a/b:1"},
		{"127.0.0.1:5000/x", "127.0.0.1:5000/x:latest", "127.0.0.1:5000/x:latest"},
		{"quay.io/a/b@sha256:" + hex64, "quay.io/a/b@sha256:" + hex64, "quay.io/a/b@sha256:" + hex64},
	} {
		r, err := ParseReference(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if r.String() != tc.canon || r.Familiar() != tc.familiar {
			t.Errorf("%s: got %s / %s, want %s / %s", tc.in, r, r.Familiar(), tc.canon, tc.familiar)
		}
	}
	for _, bad := range []string{"", " busybox", "Busybox", "a:b:c", "busybox@sha256:xyz", "a//b", "-a", "a:"} {
		if r, err := ParseReference(bad); err == nil {
			t.Errorf("%q: accepted as %s", bad, r)
		}
	}
}

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestIsLocalRegistry(t *testing.T) {
	for in, want := range map[string]bool{"localhost:5000": true, "localhost": true, "127.0.0.1:1": true,
		"[::1]:5000": true, "docker.io": false, "quay.io:443": false, "localhost.example.com": false} {
		if got := IsLocalRegistry(in); got != want {
			t.Errorf("%s: %v", in, got)
		}
	}
}

func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"busybox", "localhost:5000/a/b:1", "a@sha256:" + hex64, "::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err != nil {
			return
		}
		// The canonical form parses back to itself.
		r2, err := ParseReference(r.String())
		if err != nil || r2 != r {
			t.Fatalf("%q -> %s -> %v %v", s, r, r2, err)
		}
	})
}
