package image

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

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

// ggcrReference is how ParseReference worked before it was written out
// by hand: go-containerregistry's parser, then Docker's rule for each
// path component. It is the oracle the fuzz target holds the hand-written
// parser to.
func ggcrReference(ref string) (Reference, bool) {
	if ref == "" || strings.TrimSpace(ref) != ref {
		return Reference{}, false
	}
	r, err := name.ParseReference(ref, name.WithDefaultRegistry(dockerHub))
	if err != nil {
		return Reference{}, false
	}
	out := Reference{Registry: r.Context().RegistryStr(), Repository: r.Context().RepositoryStr()}
	for _, c := range strings.Split(out.Repository, "/") {
		if !componentRE.MatchString(c) {
			return Reference{}, false
		}
	}
	if out.Registry == name.DefaultRegistry {
		out.Registry = dockerHub
	}
	switch v := r.(type) {
	case name.Tag:
		out.Tag = v.TagStr()
	case name.Digest:
		out.Digest = v.DigestStr()
	}
	return out, true
}

var componentRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)

// The hand-written parser accepts exactly what ggcr's did, and gives the
// same reference.
func FuzzParseReferenceAgainstGGCR(f *testing.F) {
	for _, s := range []string{
		"busybox", "busybox:1.36", "user/app", "a/b/c:d", "localhost/x", "localhost:5000/a/b:1",
		"127.0.0.1:5000/x", "[::1]:5000/x:y", "docker.io/busybox", "index.docker.io/library/busybox:x",
		"quay.io/a/b@sha256:" + hex64, "a:t@sha256:" + hex64, "a@sha512:" + hex64 + hex64,
		"a@sha384:" + hex64[:32] + hex64, "a@md5:0123", "a@@sha256:" + hex64, "a__b", "a___b", "a--b",
		"a.-b", "A/b", "a:B_-.9", "user@host.io/a", "h%41.io/a", "host:/a", "host:x/a", "::", "a:",
		"http://x/a", "-a", "a//b", "a/", "/a", "a.b/c", "a_b.io/c", "x.io:99999/a", "x.io:/a",
		"a:" + strings.Repeat("t", 128), "a:" + strings.Repeat("t", 129), strings.Repeat("r", 255),
		strings.Repeat("r", 256), "x.io/" + strings.Repeat("r", 255), "a:é", "é.io/a", "a b.io/x",
		"[::1/x", "a.io:80:80/x", "Quay.IO/a", "a.io#x/b", "a.io?x/b", "localhost/", "a:@sha256:" + hex64,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantOK := ggcrReference(s)
		got, err := ParseReference(s)
		if (err == nil) != wantOK || got != want {
			t.Fatalf("%q: hand-written %+v (err %v), ggcr %+v (ok %v)", s, got, err, want, wantOK)
		}
	})
}
