package tests

import (
	"archive/tar"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// craftImage writes <root>/image/NAME.tar: the busybox image with the
// entries at the paths in replace (and everything under them) swapped for
// the given headers, and fix applied to every header left (nil: none).
func (e *env) craftImage(name string, replace map[string]*tar.Header, fix func(*tar.Header)) {
	e.t.Helper()
	in, err := os.Open(busyboxTar(e.t))
	if err != nil {
		e.t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(filepath.Join(e.root, "image", name+".tar"))
	if err != nil {
		e.t.Fatal(err)
	}
	defer out.Close()
	tr, tw := tar.NewReader(in), tar.NewWriter(out)
	under := func(p string) bool {
		for r := range replace {
			if p == r || strings.HasPrefix(p, r+"/") {
				return true
			}
		}
		return false
	}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			e.t.Fatal(err)
		}
		if under(path.Clean("/" + h.Name)) {
			continue
		}
		if fix != nil {
			fix(h)
		}
		if err := tw.WriteHeader(h); err != nil {
			e.t.Fatal(err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			e.t.Fatal(err)
		}
	}
	for p, h := range replace {
		h.Name = "." + p
		if err := tw.WriteHeader(h); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		e.t.Fatal(err)
	}
}

func symlink(target string) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777}
}

// upTo is a relative symlink target that climbs far above / and then
// names the host directory dir.
func upTo(dir string) string {
	return strings.Repeat("../", 12) + strings.TrimPrefix(dir, "/")
}

// assertEmpty fails unless the host directory dir is still empty.
func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("host dir %s: %v", dir, err)
	}
	if len(entries) > 0 {
		var names []string
		for _, en := range entries {
			names = append(names, en.Name())
		}
		t.Fatalf("container wrote into host dir %s: %v", dir, names)
	}
}

// assertCleanFailure checks a refused run: code 125, a one-line error
// naming what was wrong, and nothing left behind.
func (e *env) assertCleanFailure(r result, mention string) {
	e.t.Helper()
	msg := strings.TrimSpace(r.stderr)
	if strings.Contains(msg, "\n") || !strings.Contains(msg, mention) {
		e.t.Errorf("want a one-line error naming %s, got %q", mention, msg)
	}
	e.assertNothingLeft()
}

// An image whose /dev, /proc, /sys or /dev/shm is a symlink to a host
// directory must not get device nodes, links or kernel file systems made
// there: run refuses it, and the host directory stays empty.
func TestImageKernelMountSymlinksStayInside(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ name, at string }{
		{"dev", "/dev"}, {"proc", "/proc"}, {"sys", "/sys"},
	} {
		for _, rel := range []bool{false, true} {
			host := t.TempDir()
			target := host
			if rel {
				target = upTo(host)
			}
			e.craftImage("evil-"+c.name, map[string]*tar.Header{c.at: symlink(target)}, nil)
			r := e.run(125, "run", "--rm", "evil-"+c.name, "true")
			e.assertCleanFailure(r, c.at)
			assertEmpty(t, host)
		}
	}
	// A link to / itself would put procfs over the container's root.
	e.craftImage("evil-proc-root", map[string]*tar.Header{"/proc": symlink("..")}, nil)
	r := e.run(125, "run", "--rm", "evil-proc-root", "true")
	e.assertCleanFailure(r, "/proc")
}

// /etc files, volume targets and the workdir may be symlinks in an image
// (/var/run -> /run is common): they are followed as if the container's
// root were /, so everything lands inside it and nothing on the host.
func TestImageSymlinkTargetsResolveInside(t *testing.T) {
	e := newEnv(t)
	for _, rel := range []bool{false, true} {
		etc, vol, work := t.TempDir(), t.TempDir(), t.TempDir()
		link := func(dir string) string {
			if rel {
				return upTo(dir)
			}
			return dir
		}
		e.craftImage("links", map[string]*tar.Header{
			"/etc/hosts": symlink(link(etc) + "/hosts"),
			"/data":      symlink(link(vol)),
			"/work":      symlink(link(work)),
		}, nil)
		src := t.TempDir()
		out := e.ok("run", "--rm", "--hostname", "linked", "-v", src+":/data", "-w", "/work/sub",
			"links", "sh", "-c", "grep -c linked /etc/hosts; echo v > /data/f; pwd; touch here")
		// The link names work (absolutely or by climbing past /): inside
		// the container that is the same path under its own root.
		if lines := strings.Split(out, "\n"); len(lines) != 2 || lines[0] != "1" || lines[1] != work+"/sub" {
			t.Errorf("inside: %q; want /etc/hosts with the hostname and cwd %s/sub inside", out, work)
		}
		if got, err := os.ReadFile(filepath.Join(src, "f")); err != nil || string(got) != "v\n" {
			t.Errorf("volume not mounted where /data leads inside: %q %v", got, err)
		}
		for _, d := range []string{etc, vol, work} {
			assertEmpty(t, d)
		}
		e.assertNothingLeft()
	}
	// A volume target that resolves to the container's / is refused: it
	// would make the host directory the container's root.
	e.craftImage("rootlink", map[string]*tar.Header{"/data": symlink("..")}, nil)
	r := e.run(125, "run", "--rm", "-v", t.TempDir()+":/data", "rootlink", "true")
	e.assertCleanFailure(r, "/data")
}

// The container's / has the image's mode, so non-root users can use it.
func TestRootDirHasImageMode(t *testing.T) {
	e := newEnv(t)
	out := e.ok("run", "--rm", "busybox", "sh", "-c",
		"stat -c %a /; su nobody -s /bin/sh -c 'id -u; ls / >/dev/null && echo listed'")
	if out != "755\n65534\nlisted" {
		t.Errorf("busybox image: %q; want / 755 and listable by nobody", out)
	}
	e.craftImage("private", nil, func(h *tar.Header) {
		if path.Clean(h.Name) == "." {
			h.Mode = 0o750
		}
	})
	if out := e.ok("run", "--rm", "private", "stat", "-c", "%a", "/"); out != "750" {
		t.Errorf("image with / 0750: container sees %s", out)
	}
}

// Nothing is inheritable (CVE-2022-24769), in run and exec.
func TestNoInheritableCapabilities(t *testing.T) {
	e := newEnv(t)
	if got := capLine(e.ok("run", "--rm", "busybox", "cat", "/proc/self/status"), "CapInh"); got != "0000000000000000" {
		t.Errorf("run: CapInh %s", got)
	}
	e.ok("run", "-d", "--name", "inh", "busybox", "sleep", "1000")
	if got := capLine(e.ok("exec", "inh", "cat", "/proc/self/status"), "CapInh"); got != "0000000000000000" {
		t.Errorf("exec: CapInh %s", got)
	}
}

// A program written into /dev cannot run from there.
func TestDevIsNoexec(t *testing.T) {
	e := newEnv(t)
	r := e.run(126, "run", "--rm", "busybox", "sh", "-c", "cp /bin/busybox /dev/bb && exec /dev/bb true")
	if !strings.Contains(r.stderr, "ermission denied") {
		t.Errorf("exec from /dev: %q", r.stderr)
	}
}

// Every masked path this kernel has reads empty (or cannot be read) and
// is a mount point, and every read-only path refuses writes.
func TestAllMaskedAndReadOnlyPaths(t *testing.T) {
	e := newEnv(t)
	masked := []string{"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
		"/sys/firmware", "/sys/devices/virtual/powercap"}
	readonly := []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
	// The host's view says which paths this kernel has. Each line of the
	// script prints the path and "0" when it is as it should be.
	var script strings.Builder
	checked := 0
	for _, p := range masked {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		checked++
		// A directory lists empty, a file reads empty; either way
		// something is mounted over it.
		script.WriteString("if [ -d " + p + " ]; then n=$(ls -A " + p + " | wc -l); else n=$(cat " + p + " 2>/dev/null | wc -c); fi; " +
			"[ $(awk '$5==\"" + p + "\"' /proc/self/mountinfo | wc -l) -gt 0 ] || n=unmounted; echo " + p + " $n\n")
	}
	for _, p := range readonly {
		f := writableFileUnder(t, p)
		if f == "" {
			continue
		}
		checked++
		// >> opens for writing without truncating or writing a byte: a
		// read-only mount refuses the open, nothing on the host changes.
		script.WriteString("if err=$( (: >> " + f + ") 2>&1); then echo " + f + " opened; " +
			"else case $err in *Read-only*) echo " + f + " 0;; *) echo " + f + " \"$err\";; esac; fi\n")
	}
	if checked == 0 {
		t.Fatal("this kernel has none of the masked or read-only paths")
	}
	out := e.ok("run", "--rm", "busybox", "sh", "-c", script.String())
	lines := strings.Split(out, "\n")
	if len(lines) != checked {
		t.Fatalf("%d answers for %d paths: %q", len(lines), checked, out)
	}
	for _, l := range lines {
		if f := strings.SplitN(l, " ", 2); len(f) != 2 || f[1] != "0" {
			t.Errorf("not masked or not read-only: %q", l)
		}
	}
}

// writableFileUnder finds a file at or under p that root may write on the
// host ("" if p is missing or has none).
func writableFileUnder(t *testing.T, p string) string {
	t.Helper()
	found := ""
	stop := errors.New("found")
	err := filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable corners of /proc: look elsewhere
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil && fi.Mode()&0o222 != 0 {
				found = f
				return stop
			}
		}
		return nil
	})
	if err != nil && err != stop {
		t.Fatal(err)
	}
	return found
}
