package tests

import (
	"archive/tar"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// The mount points init binds /etc/hosts, /etc/hostname and
// /etc/resolv.conf over come from the image's init layer when the image
// lacks them: made once, shared by its containers, holding only what the
// image lacks, in an /etc with the image's mode and owner. The
// container's writable layer gets none of them (diff shows nothing).
// Removing an image frees, with its layers, every init layer no running
// container uses, and the next start makes its own again.
func TestInitLayerHoldsMountPoints(t *testing.T) {
	e := newEnv(t)
	// busybox with an /etc/hosts of its own and an /etc of mode 0750,
	// group 10.
	e.craftImage("partial", map[string]*tar.Header{
		"/etc/hosts": {Typeflag: tar.TypeReg, Mode: 0o644},
	}, func(h *tar.Header) {
		if path.Clean(h.Name) == "etc" {
			h.Mode, h.Gid = 0o750, 10
		}
	})
	initLayers := func() []string {
		entries, err := os.ReadDir(filepath.Join(e.root, "layers", "init"))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		var names []string
		for _, en := range entries {
			names = append(names, en.Name())
		}
		return names
	}
	id := e.ok("run", "-d", "--name", "c", "partial", "sleep", "1000")
	if got := e.ok("exec", "c", "stat", "-c", "%a %u %g", "/etc"); got != "750 0 10" {
		t.Errorf("/etc in the container: %s, want the image's 750 0 10", got)
	}
	if got := e.ok("exec", "c", "cat", "/etc/hostname"); got != id[:12] {
		t.Errorf("/etc/hostname: %q", got)
	}
	if got := e.ok("exec", "c", "sh", "-c", "grep -c ' /etc/h' /proc/self/mountinfo"); got != "2" {
		t.Errorf("/etc/hosts and /etc/hostname are not both mounted: %s", got)
	}
	if _, err := os.Lstat(filepath.Join(e.root, "overlay2", id, "upper", "etc")); !os.IsNotExist(err) {
		t.Errorf("the writable layer got an /etc: %v", err)
	}
	if got := e.ok("diff", "c"); got != "" {
		t.Errorf("diff of a container that wrote nothing: %q", got)
	}
	layers := initLayers()
	if len(layers) != 1 {
		t.Fatalf("init layers: %v, want one", layers)
	}
	etc := filepath.Join(e.root, "layers", "init", layers[0], "etc")
	var have []string
	entries, err := os.ReadDir(etc)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if fi, err := en.Info(); err != nil || !fi.Mode().IsRegular() || fi.Size() != 0 {
			t.Errorf("init layer's %s: %v, %v; want an empty file", en.Name(), fi, err)
		}
		have = append(have, en.Name())
	}
	if strings.Join(have, " ") != "hostname resolv.conf" {
		t.Errorf("init layer holds %v, want hostname and resolv.conf (the image has hosts)", have)
	}
	// A second container of the image shares it.
	if got := e.ok("run", "--rm", "partial", "cat", "/etc/hostname"); len(got) != 12 {
		t.Errorf("second container's /etc/hostname: %q", got)
	}
	if got := initLayers(); len(got) != 1 {
		t.Errorf("init layers after a second container: %v", got)
	}
	// Removing an image keeps the layer a running container has mounted.
	removeAnImage := func() {
		t.Helper()
		e.ok("commit", "c", "spare:1")
		if out := e.ok("rmi", "spare:1"); !strings.Contains(out, "Deleted: ") {
			t.Fatalf("rmi deleted nothing: %s", out)
		}
	}
	removeAnImage()
	if got := initLayers(); len(got) != 1 {
		t.Errorf("init layers after an rmi with c running: %v", got)
	}
	if got := e.ok("exec", "c", "cat", "/etc/hostname"); got != id[:12] {
		t.Errorf("/etc/hostname after an rmi: %q", got)
	}
	// Stopped, c's layer goes with the next image removed; c starts
	// again all the same, its layer made again.
	e.ok("stop", "-t", "0", "c")
	removeAnImage()
	if got := initLayers(); len(got) != 0 {
		t.Errorf("init layers after an rmi with nothing running: %v", got)
	}
	e.ok("start", "c")
	if got := e.ok("exec", "c", "cat", "/etc/hostname"); got != id[:12] {
		t.Errorf("/etc/hostname after a start: %q", got)
	}
	if got := initLayers(); len(got) != 1 {
		t.Errorf("init layers after the start: %v", got)
	}
	// A container that writes in /etc has that in its writable layer,
	// and only that.
	e.ok("exec", "c", "sh", "-c", "echo x > /etc/new")
	if got := e.ok("diff", "c"); got != "C /etc\nA /etc/new" {
		t.Errorf("diff after writing /etc/new: %q", got)
	}
	e.ok("rm", "-f", "c")
	e.assertNothingLeft()
}
