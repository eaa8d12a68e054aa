package container

import (
	"mydocker/container/spec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseVolume(t *testing.T) {
	tests := []struct {
		spec    string
		want    spec.Mount
		wantErr string
	}{
		{"/a:/b", spec.Mount{Type: "bind", Source: "/a", Destination: "/b"}, ""},
		{"/a:/b:ro", spec.Mount{Type: "bind", Source: "/a", Destination: "/b", ReadOnly: true}, ""},
		{"/a:/b:rw", spec.Mount{Type: "bind", Source: "/a", Destination: "/b"}, ""},
		{"/a/../c/:/b/./d/", spec.Mount{Type: "bind", Source: "/c", Destination: "/b/d"}, ""},
		{"/a:/../../etc", spec.Mount{Type: "bind", Source: "/a", Destination: "/etc"}, ""},
		{"/a", spec.Mount{Type: "volume", Destination: "/a", Anonymous: true, CopyUp: true}, ""},
		{"data:/b", spec.Mount{Type: "volume", Name: "data", Destination: "/b", CopyUp: true}, ""},
		{"data:/b:ro,nocopy", spec.Mount{Type: "volume", Name: "data", Destination: "/b", ReadOnly: true}, ""},
		{"/a:/b:nocopy", spec.Mount{}, "nocopy applies to volumes"},
		{"/a:/b:ro:x", spec.Mount{}, "want SRC:DST"},
		{"/a:/b:rx", spec.Mount{}, "mode must be ro or rw"},
		{"/a:/b:", spec.Mount{}, "mode must be ro or rw"},
		{"/a:/b:ro,rw", spec.Mount{}, "both ro and rw"},
		{"/a:/b:ro,ro", spec.Mount{}, "given twice"},
		{":/b", spec.Mount{}, "empty source"},
		{"/a:", spec.Mount{}, "empty source or destination"},
		{"a:/b", spec.Mount{}, "neither an absolute host path nor a volume name"},
		{"./a:/b", spec.Mount{}, "neither an absolute host path nor a volume name"},
		{"../x:/b", spec.Mount{}, "neither an absolute host path nor a volume name"},
		{"/a:b", spec.Mount{}, "must be an absolute path"},
		{"b", spec.Mount{}, "must be an absolute path"},
		{"/a:/", spec.Mount{}, "cannot be /"},
		{"/a:/..", spec.Mount{}, "cannot be /"},
		{"", spec.Mount{}, "empty source or destination"},
	}
	for _, tc := range tests {
		got, err := ParseVolume(tc.spec)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseVolume(%q) error %v, want %q", tc.spec, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseVolume(%q) = %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
	}
}

func TestParseVolumesRefusesDuplicateTarget(t *testing.T) {
	if _, err := ParseVolumes([]string{"/a:/x", "/b:/x/"}); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Fatalf("duplicate target accepted: %v", err)
	}
	got, err := ParseVolumes([]string{"/a:/x", "/b:/y:ro"})
	if err != nil || len(got) != 2 || got[1].Destination != "/y" || !got[1].ReadOnly {
		t.Fatalf("ParseVolumes = %+v, %v", got, err)
	}
}

func FuzzParseVolume(f *testing.F) {
	for _, s := range []string{"/a:/b", "/a:/b:ro", "a:b", "/a:/b:rw:x", ":", "/:/", "/a:/../x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		m, err := ParseVolume(spec)
		if err != nil {
			return
		}
		// Whatever is accepted is absolute, clean, and never the root; a
		// volume's name is never a path.
		if m.Type == "volume" {
			if m.Name != "" && (ValidateVolumeName(m.Name) != nil || strings.Contains(m.Name, "/")) {
				t.Fatalf("%q: bad volume name accepted: %+v", spec, m)
			}
			m.Source = "/"
		}
		if !filepath.IsAbs(m.Source) || !filepath.IsAbs(m.Destination) {
			t.Fatalf("%q: relative path accepted: %+v", spec, m)
		}
		if filepath.Clean(m.Source) != m.Source || filepath.Clean(m.Destination) != m.Destination {
			t.Fatalf("%q: unclean path: %+v", spec, m)
		}
		if m.Destination == "/" {
			t.Fatalf("%q: destination /", spec)
		}
		if strings.ContainsRune(m.Source+m.Destination, 0) {
			t.Fatalf("%q: NUL accepted", spec)
		}
	})
}
