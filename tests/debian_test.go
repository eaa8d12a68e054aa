package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// debianTarOnce builds one Debian 12 (minbase) rootfs tar per test
// binary with mmdebstrap, from Debian's packages: a real distribution's
// image, with its setuid programs, sticky /tmp, hard links and the
// ownership dpkg gave every file. vmtest builds it on the host (the guest
// has no network) and names its directory in MYDOCKER_TEST_HELPERS.
var (
	debianMu  sync.Mutex
	debianTar string
	debianErr error
)

func debianImageTar(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("MYDOCKER_TEST_HELPERS"); dir != "" {
		p := filepath.Join(dir, "debian.tar")
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("prebuilt Debian rootfs: %v", err)
		}
		return p
	}
	debianMu.Lock()
	defer debianMu.Unlock()
	if debianTar == "" && debianErr == nil {
		dir, err := os.MkdirTemp("", "mydocker-debian-")
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "debian.tar")
		out, err := exec.Command("mmdebstrap", "--quiet", "--variant=minbase", "--mode=root", "--format=tar", "bookworm", p).CombinedOutput()
		if err != nil {
			debianErr = err
			t.Fatalf("mmdebstrap: %v: %s", err, out)
		}
		debianTar = p
	}
	if debianErr != nil {
		t.Fatalf("mmdebstrap failed earlier: %v", debianErr)
	}
	return debianTar
}

// listTree prints every file of the container's own tree with its mode,
// owner, type, and for files their size and link count (hard links):
// what an unpack must keep exactly. Left out: what each runtime mounts
// or writes for the container (podman adds /etc/mtab, the tar has none),
// the root (podman makes it 555 for a tar without a root entry, Docker
// 755), and directories' sizes and link counts, which overlayfs reports
// differently once a directory is copied up.
const listTree = `find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /etc/hosts -o -path /etc/hostname ` +
	`-o -path /etc/resolv.conf -o -path /etc/mtab -o -path /.dockerenv -o -path /run/.containerenv -o -path /run/secrets \) -prune ` +
	`-o -path / -o -type d -printf '%m %U %G - %y - %p\n' -o -printf '%m %U %G %n %y %s %p\n' | sort -k7`

// A real Debian image imported here holds exactly the files, modes
// (setuid passwd and su, sticky /tmp), owners and hard links podman's
// copy of the same tar holds; dpkg finds every file it installed intact;
// and it survives commit, save and load into another store.
func TestRealDebianImage(t *testing.T) {
	tarball := debianImageTar(t)
	e := newEnv(t)
	e.ok("import", tarball, "debian:12")
	mine := e.ok("run", "--rm", "--network", "none", "debian:12", "sh", "-c", listTree)

	p := newPodman(t)
	p.run("import", "-q", tarball, "debian:12")
	theirs := strings.TrimSpace(p.runContainer("debian:12", "sh", "-c", listTree))
	if mine != theirs {
		t.Errorf("the image's tree differs from podman's:\n%s", lineDiff(theirs, mine))
	}
	for _, want := range []string{"4755 0 0 1 f ", "1777 0 0 "} {
		if !strings.Contains(mine, want) {
			t.Errorf("no %q entry in the tree", want)
		}
	}
	for _, path := range []string{"/usr/bin/passwd", "/usr/bin/su", "/tmp"} {
		if !strings.Contains(mine, " "+path+"\n") {
			t.Errorf("%s missing from the tree", path)
		}
	}

	// dpkg checks every installed file against its package's checksums.
	if out := e.ok("run", "--rm", "--network", "none", "debian:12", "dpkg", "--verify"); out != "" {
		t.Errorf("dpkg --verify found changed files:\n%s", out)
	}

	// A container's changes on top, committed, saved and loaded elsewhere.
	e.ok("run", "--name", "layered", "--network", "none", "debian:12", "sh", "-c", "rm /usr/bin/su && mkdir -m 1770 /srv/drop && echo x > /srv/drop/f")
	e.ok("commit", "layered", "debian-changed:1")
	archive := filepath.Join(t.TempDir(), "debian.tar")
	e.ok("save", "-o", archive, "debian-changed:1")
	other := newEnv(t)
	other.ok("load", "-i", archive)
	got := other.ok("run", "--rm", "--network", "none", "debian-changed:1", "sh", "-c",
		"stat -c '%a %n' /usr/bin/passwd /tmp /srv/drop; cat /srv/drop/f; test -e /usr/bin/su || echo su-gone")
	if want := "4755 /usr/bin/passwd\n1777 /tmp\n1770 /srv/drop\nx\nsu-gone"; got != want {
		t.Errorf("after commit, save and load: %q, want %q", got, want)
	}
}

// lineDiff lists the lines only one of two sorted listings has.
func lineDiff(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	n := 0
	for _, l := range strings.Split(want, "\n") {
		if !g[l] && n < 40 {
			b.WriteString("- " + l + "\n")
			n++
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] && n < 80 {
			b.WriteString("+ " + l + "\n")
			n++
		}
	}
	return b.String()
}
