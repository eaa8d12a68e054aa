package main

import (
	"archive/tar"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"mydocker/image"
)

// writeRootfsTar writes a one-file rootfs tar as <root>/image/<name>.tar,
// a blog image.
func writeRootfsTar(t *testing.T, root, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(root, "image"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(root, "image", name+".tar"))
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	if err := tw.WriteHeader(&tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
		t.Fatal(err)
	}
	if err := tw.WriteHeader(&tar.Header{Name: "etc/hostname", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCourseRunArgs(t *testing.T) {
	root := t.TempDir()
	writeRootfsTar(t, root, "busybox")
	writeRootfsTar(t, root, "myimage")
	store := image.NewStore(root)
	for _, tc := range []struct {
		args    []string
		image   string
		command []string
	}{
		{[]string{"/bin/sh"}, "busybox", []string{"/bin/sh"}},   // chapter 1
		{[]string{"ls", "-l"}, "busybox", []string{"ls", "-l"}}, // chapter 3: not an image here
		{[]string{"stress", "--vm-bytes", "200m"}, "busybox", []string{"stress", "--vm-bytes", "200m"}},
		{[]string{"./run.sh"}, "busybox", []string{"./run.sh"}},              // a relative path
		{[]string{"busybox", "top"}, "busybox", []string{"top"}},             // chapter 14: an image
		{[]string{"myimage"}, "myimage", []string{}},                         // committed, in the store
		{[]string{"busybox:latest", "sh"}, "busybox:latest", []string{"sh"}}, // a tag: a reference
		{[]string{"docker.io/library/alpine"}, "docker.io/library/alpine", []string{}},
		{[]string{"alpine@sha256:" + fortyHex + fortyHex[:24]}, "alpine@sha256:" + fortyHex + fortyHex[:24], []string{}},
		{[]string{"dc"}, "busybox", []string{"dc"}},   // hex, but a command
		{[]string{"Top"}, "busybox", []string{"Top"}}, // no image has capitals
	} {
		img, cmd, err := courseRunArgs(store, tc.args)
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if img != tc.image || !reflect.DeepEqual(append([]string{}, cmd...), tc.command) {
			t.Errorf("%q: image %q command %q, want %q %q", tc.args, img, cmd, tc.image, tc.command)
		}
	}
}

const fortyHex = "0123456789abcdef0123456789abcdef01234567"

// Course mode's run: no image needed, -it removes at exit, no network
// unless -net; Docker's mode keeps Docker's defaults.
func TestCourseModeRunOptions(t *testing.T) {
	t.Setenv("MYDOCKER_ROOT", t.TempDir())
	for _, tc := range []struct {
		mode       string
		args       []string
		image      string
		autoRemove bool
		network    string
	}{
		{"course", []string{"-it", "/bin/sh"}, "busybox", true, "none"},
		{"course", []string{"-d", "top"}, "busybox", false, "none"},
		{"course", []string{"-it", "-net", "testbridge", "busybox", "sh"}, "busybox", true, "testbridge"},
		{"course", []string{"-it", "--rm", "busybox", "sh"}, "busybox", true, "none"},
		{"docker", []string{"-it", "busybox", "sh"}, "busybox", false, "bridge"},
		{"", []string{"-d", "busybox", "top"}, "busybox", false, "bridge"},
	} {
		t.Setenv("MYDOCKER_MODE", tc.mode)
		o, err := parseRun(tc.args)
		if err != nil {
			t.Errorf("%s %q: %v", tc.mode, tc.args, err)
			continue
		}
		if o.image != tc.image || o.config.AutoRemove != tc.autoRemove || o.config.Network != tc.network {
			t.Errorf("%s %q: image %q autoremove %v network %q", tc.mode, tc.args, o.image, o.config.AutoRemove, o.config.Network)
		}
	}
	t.Setenv("MYDOCKER_MODE", "docker")
	if _, err := parseRun([]string{"-it", "/bin/sh"}); err == nil || !strings.Contains(err.Error(), "since chapter 14: mydocker run -it busybox /bin/sh") {
		t.Errorf("docker mode, run /bin/sh: %v", err)
	}
}
