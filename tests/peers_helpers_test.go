package tests

// The peers mydocker's images are checked against, each hermetic per
// test: Debian's docker-registry (the CNCF distribution registry) on a
// free loopback port with its own storage, skopeo, and podman with its own
// storage, state and cgroup parent. And the image they exchange, built
// here without internet: busybox plus layers with a whiteout, an opaque
// directory, a setuid file, a sticky /tmp and a hard link.

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"
)

// peerTimeout bounds every command of a peer tool, so a hung registry or
// podman fails the test instead of hanging the suite.
const peerTimeout = 2 * time.Minute

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// runPeer runs a peer tool and returns its stdout; it fails the test with
// the tool's stderr unless the tool succeeds.
func runPeer(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	out, errOut, err := execPeer(env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// execPeer runs a peer tool with extra environment env and returns its
// stdout, stderr and error.
func execPeer(env []string, name string, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	defer cancel()
	if name == "podman" || name == "skopeo" {
		args = append([]string{"--mount", "--propagation", "private", "--", "sh", "-ec", privateVarLib, "sh", name}, args...)
		name = "unshare"
	}
	c := exec.CommandContext(ctx, name, args...)
	c.Env = append(os.Environ(), env...)
	c.WaitDelay = 5 * time.Second
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (after %s)", ctx.Err(), peerTimeout)
	}
	return out.String(), errb.String(), err
}

// privateVarLib runs its arguments in a mount namespace where /var/lib is
// an empty tmpfs: whatever --root says, containers/image keeps its blob
// cache in /var/lib/containers/cache, and the tests leave nothing on the
// machine. (Everything else podman keeps is in the test's directory.)
const privateVarLib = `mount -t tmpfs -o mode=0755 tmpfs /var/lib; exec "$@"`

// skopeo runs skopeo (never verifying TLS: every registry here is plain
// HTTP on loopback) and returns its stdout.
func skopeo(t *testing.T, args ...string) string {
	t.Helper()
	return runPeer(t, nil, "skopeo", args...)
}

// registry is one docker-registry process serving on loopback.
type registry struct {
	host       string // 127.0.0.1:PORT
	storage    string // its filesystem storage root
	user, pass string // empty unless it requires basic auth
}

// ref names repo (with its tag or digest) in this registry.
func (r *registry) ref(repo string) string { return r.host + "/" + repo }

// creds is skopeo's --creds value, empty without auth.
func (r *registry) creds() string { return r.user + ":" + r.pass }

// startRegistry starts a registry on a free loopback port with storage in
// a temporary directory, with htpasswd basic auth if auth, waits until its
// /v2/ answers, and stops it when the test ends.
func startRegistry(t *testing.T, auth bool) *registry {
	t.Helper()
	dir := t.TempDir()
	r := &registry{storage: filepath.Join(dir, "storage")}
	authConf := ""
	if auth {
		r.user, r.pass = "peer-"+randHex(3), randHex(12)
		// The registry accepts bcrypt entries only: htpasswd -B.
		entry := runPeer(t, nil, "htpasswd", "-Bbn", r.user, r.pass)
		path := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(path, []byte(entry), 0o600); err != nil {
			t.Fatal(err)
		}
		authConf = fmt.Sprintf("auth:\n  htpasswd:\n    realm: mydocker-peers\n    path: %s\n", path)
	}
	// The free port can be taken between probing it and the registry
	// binding it (other tests run on this machine); then try another.
	for attempt := 1; ; attempt++ {
		r.host = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		conf := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
  secret: %s
%s`, r.storage, r.host, randHex(16), authConf)
		confPath := filepath.Join(dir, "config.yml")
		if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		logPath := filepath.Join(dir, fmt.Sprintf("registry-%d.log", attempt))
		logf, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		c := exec.Command("docker-registry", "serve", confPath)
		c.Stdout, c.Stderr = logf, logf
		// If the test binary is killed (timeout, ^C, a closed pipe), its
		// cleanups do not run: the kernel stops the registry instead.
		c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		err = c.Start()
		logf.Close()
		if err != nil {
			t.Fatalf("start docker-registry (scripts/install-deps.sh installs it): %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- c.Wait() }()
		err = waitRegistry(r.host, exited)
		if err == nil {
			t.Cleanup(func() { stopRegistry(t, c, exited, logPath) })
			return r
		}
		log, _ := os.ReadFile(logPath)
		if errors.Is(err, errRegistryExited) && bytes.Contains(log, []byte("address already in use")) && attempt < 5 {
			continue
		}
		if !errors.Is(err, errRegistryExited) {
			c.Process.Kill()
			<-exited
		}
		t.Fatalf("registry on %s: %v\nits log:\n%s", r.host, err, log)
	}
}

var errRegistryExited = errors.New("registry exited")

// waitRegistry polls /v2/ until it answers 200 (open) or 401 (auth
// required), or the process exits.
func waitRegistry(host string, exited <-chan error) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("%w: %v", errRegistryExited, err)
		default:
		}
		resp, err := client.Get("http://" + host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
			err = fmt.Errorf("GET /v2/: %s", resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not answering after 30s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func stopRegistry(t *testing.T, c *exec.Cmd, exited <-chan error, logPath string) {
	if t.Failed() {
		if log, err := os.ReadFile(logPath); err == nil && len(log) > 0 {
			t.Logf("registry log:\n%s", log)
		}
	}
	select {
	case err := <-exited:
		t.Errorf("registry died during the test: %v", err)
		return
	default:
	}
	c.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		c.Process.Kill()
		<-exited
	}
}

// freePort returns a loopback TCP port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// podman is a podman whose storage, run state, locks, network config and
// cgroups are this test's own, so it never touches the machine's podman.
type podman struct {
	t            *testing.T
	dir          string
	conf         string // its containers.conf
	cgroupParent string
}

func newPodman(t *testing.T) *podman {
	t.Helper()
	dir, err := os.MkdirTemp("", "mydocker-podman-")
	if err != nil {
		t.Fatal(err)
	}
	p := &podman{t: t, dir: dir, conf: filepath.Join(dir, "containers.conf"),
		cgroupParent: "/mydocker-peers-" + randHex(6)}
	t.Cleanup(p.cleanup)
	// crun cannot run on every host; runc can. No ulimits: podman's
	// defaults can exceed the host's hard limits. File locks in its own
	// tmp_dir, not a machine-wide shared memory segment; no systemd here.
	conf := fmt.Sprintf(`[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "none"
lock_type = "file"
tmp_dir = %q
[network]
network_config_dir = %q
`, filepath.Join(dir, "tmp"), filepath.Join(dir, "net"))
	if err := os.WriteFile(p.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *podman) args(args []string) []string {
	return append([]string{"--root", filepath.Join(p.dir, "root"), "--runroot", filepath.Join(p.dir, "run"),
		"--storage-driver", "overlay", "--runtime", "runc"}, args...)
}

func (p *podman) env() []string { return []string{"CONTAINERS_CONF=" + p.conf} }

// run runs podman and returns its stdout, failing the test unless it
// succeeds.
func (p *podman) run(args ...string) string {
	p.t.Helper()
	return runPeer(p.t, p.env(), "podman", p.args(args)...)
}

// exec runs podman and returns stdout, stderr and its error.
func (p *podman) exec(args ...string) (string, string, error) {
	return execPeer(p.env(), "podman", p.args(args)...)
}

// runContainer runs cmd in image as a podman container without network
// and returns its stdout.
func (p *podman) runContainer(image string, cmd ...string) string {
	p.t.Helper()
	return p.run(append([]string{"run", "--rm", "--network", "none", "--cgroup-parent", p.cgroupParent, image}, cmd...)...)
}

// load loads an archive and returns the name podman gave the image.
func (p *podman) load(archive string) string {
	p.t.Helper()
	out := p.run("load", "-q", "-i", archive)
	return loadedName(p.t, out)
}

// loadedName finds the image name in `load`'s "Loaded image: NAME" (or
// "Loaded image(s): ..."), as Docker and podman print it.
func loadedName(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if _, rest, ok := strings.Cut(line, "Loaded image"); ok {
			if _, name, ok := strings.Cut(rest, ": "); ok {
				return strings.TrimSpace(strings.Split(name, ",")[0])
			}
		}
	}
	t.Fatalf("no \"Loaded image\" line in load's output: %q", out)
	return ""
}

// cleanup removes every container and the storage of this podman, and
// the cgroups under its parent, reporting what a test left behind.
func (p *podman) cleanup() {
	t := p.t
	if _, errOut, err := p.exec("rm", "-af", "-t", "0"); err != nil {
		t.Errorf("podman rm -af: %v: %s", err, errOut)
	}
	for _, m := range mountsUnder(t, p.dir) {
		t.Errorf("podman left a mount: %s", m)
		if err := unix.Unmount(m, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", m, err)
		}
	}
	if len(mountsUnder(t, p.dir)) == 0 {
		if err := os.RemoveAll(p.dir); err != nil {
			t.Errorf("remove %s: %v", p.dir, err)
		}
	}
	// conmon's cgroup stays by design; a container's means a leak.
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*" + p.cgroupParent)
	if d := "/sys/fs/cgroup" + p.cgroupParent; isDir(d) {
		dirs = append(dirs, d)
	}
	var all []string
	for _, d := range dirs {
		filepath.WalkDir(d, func(path string, de os.DirEntry, err error) error {
			if err == nil && de.IsDir() {
				all = append(all, path)
			}
			return nil
		})
	}
	sort.Slice(all, func(i, j int) bool { return len(all[i]) > len(all[j]) }) // children first
	for _, d := range all {
		if strings.Contains(filepath.Base(d), "libpod-") {
			t.Errorf("podman container cgroup left: %s", d)
		}
		removeCgroupDir(t, d)
	}
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// peerImage is the multi-layer image the peers and mydocker exchange.
type peerImage struct {
	archive string   // docker-archive of it, tagged name
	name    string   // its RepoTag in the archive
	id      string   // "sha256:<config digest>", Docker's image ID
	diffIDs []string // "sha256:..." of each uncompressed layer, lowest first
	config  v1.Config
}

var (
	peerImageOnce sync.Once
	peerImg       *peerImage
	peerImageErr  error
)

// peersImage builds the multi-layer image once per test binary, next to
// the busybox image (TestMain removes that directory).
func peersImage(t *testing.T) *peerImage {
	t.Helper()
	bb := busyboxTar(t)
	peerImageOnce.Do(func() {
		peerImg, peerImageErr = buildPeerImage(bb, filepath.Join(filepath.Dir(bb), "peers-multi.tar"))
	})
	if peerImageErr != nil {
		t.Fatal(peerImageErr)
	}
	return peerImg
}

// The facts peerCheck prints for the image, as a correct unpacker gives
// them: layer 3 removes /etc/peers/gone (whiteout) and everything layer 2
// had in /opaque (opaque directory); modes, owners and the hard link of
// the layers stay as the tar headers say.
const (
	peerHello     = "hello from the peers image\n"
	peerCheck     = `cat /data/hello; [ -e /etc/peers/gone ] && echo gone: present || echo gone: absent; cat /etc/peers/kept; echo "opaque:" $(ls -A /opaque); stat -c 'tmp: %a' /tmp; stat -c 'suid: %a %u' /data/suid; [ "$(stat -c %i /data/a)" = "$(stat -c %i /data/b)" ] && echo "hardlink: same inode, $(stat -c %h /data/a) links"; cat /data/b; stat -c 'owned: %u:%g %a' /data/owned; echo "cwd: $PWD env: $PEERS"`
	peerCheckWant = peerHello + "gone: absent\nkept\nopaque: new\ntmp: 1777\nsuid: 4755 0\nhardlink: same inode, 2 links\nlinked\nowned: 1234:5678 640\ncwd: /data env: multi\n"
)

// entry is one tar entry of a test layer: its header and, for a regular
// file, its content.
type entry struct {
	hdr  tar.Header
	body string
}

func dirEntry(name string, mode int64) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode}}
}

func fileEntry(name string, mode int64, body string) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(body))}, body: body}
}

func buildPeerImage(busybox, out string) (*peerImage, error) {
	layer2 := []entry{
		dirEntry("etc/peers/", 0o755),
		fileEntry("etc/peers/gone", 0o644, "removed by a whiteout in the next layer\n"),
		fileEntry("etc/peers/kept", 0o644, "kept\n"),
		dirEntry("opaque/", 0o755),
		fileEntry("opaque/old", 0o644, "hidden by the opaque directory above\n"),
		dirEntry("opaque/sub/", 0o755),
		fileEntry("opaque/sub/old2", 0o644, "hidden too\n"),
		dirEntry("tmp/", 0o1777),
		dirEntry("data/", 0o755),
		fileEntry("data/hello", 0o644, peerHello),
	}
	owned := fileEntry("data/owned", 0o640, "owned\n")
	owned.hdr.Uid, owned.hdr.Gid = 1234, 5678
	layer3 := []entry{
		dirEntry("etc/peers/", 0o755),
		fileEntry("etc/peers/.wh.gone", 0o644, ""),
		dirEntry("opaque/", 0o755),
		fileEntry("opaque/.wh..wh..opq", 0o644, ""),
		fileEntry("opaque/new", 0o644, "new\n"),
		dirEntry("data/", 0o755),
		fileEntry("data/suid", 0o4755, "#!/bin/sh\necho suid\n"),
		fileEntry("data/a", 0o644, "linked\n"),
		{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "data/b", Linkname: "data/a"}},
		owned,
	}
	bb, err := os.ReadFile(busybox)
	if err != nil {
		return nil, err
	}
	layers := [][]byte{bb}
	for _, entries := range [][]entry{layer2, layer3} {
		data, err := tarOf(entries)
		if err != nil {
			return nil, err
		}
		layers = append(layers, data)
	}
	p := &peerImage{archive: out, name: "localhost/peers/multi:1", config: v1.Config{
		Cmd:        []string{"cat", "/data/hello"},
		Env:        []string{"PATH=/bin:/usr/bin", "PEERS=multi"},
		WorkingDir: "/data",
		Labels:     map[string]string{"org.example.peers": "multi"},
	}}
	var quoted []string
	for _, l := range layers {
		p.diffIDs = append(p.diffIDs, fmt.Sprintf("sha256:%x", sha256.Sum256(l)))
		quoted = append(quoted, `"`+p.diffIDs[len(p.diffIDs)-1]+`"`)
	}
	// The config as no Go encoder writes it (rootfs first, indented by
	// tabs): its digest is the image ID, so a tool that re-encodes the
	// config instead of keeping its bytes changes the ID and is caught.
	config := []byte(fmt.Sprintf(`{
	"rootfs": {"type": "layers", "diff_ids": [%s]},
	"architecture": %q,
	"os": "linux",
	"config": {
		"Cmd": ["cat", "/data/hello"],
		"Env": ["PATH=/bin:/usr/bin", "PEERS=multi"],
		"WorkingDir": "/data",
		"Labels": {"org.example.peers": "multi"}
	},
	"history": [
		{"created_by": "busybox rootfs (scripts/make-busybox-image.sh)"},
		{"created_by": "peers: files, a directory to make opaque, a sticky /tmp"},
		{"created_by": "peers: a whiteout, an opaque directory, setuid, a hard link, a foreign owner"}
	]
}
`, strings.Join(quoted, ", "), runtime.GOARCH))
	p.id = fmt.Sprintf("sha256:%x", sha256.Sum256(config))
	if err := writeDockerArchive(out, p.name, config, layers); err != nil {
		return nil, fmt.Errorf("write %s: %v", out, err)
	}
	return p, nil
}

// writeDockerArchive writes what `docker save` writes for one image: its
// config, its uncompressed layers and a manifest.json naming them.
func writeDockerArchive(path, tag string, config []byte, layers [][]byte) error {
	configName := fmt.Sprintf("%x.json", sha256.Sum256(config))
	files := []entry{fileEntry(configName, 0o644, string(config))}
	var layerNames []string
	for _, l := range layers {
		name := fmt.Sprintf("%x/layer.tar", sha256.Sum256(l))
		layerNames = append(layerNames, name)
		files = append(files, dirEntry(filepath.Dir(name)+"/", 0o755), fileEntry(name, 0o644, string(l)))
	}
	manifest, err := json.Marshal([]map[string]any{{"Config": configName, "RepoTags": []string{tag}, "Layers": layerNames}})
	if err != nil {
		return err
	}
	files = append(files, fileEntry("manifest.json", 0o644, string(manifest)))
	data, err := tarOf(files)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// tarOf writes entries as a tar, with a fixed modification time so the
// image, and its digests, are the same in every run.
func tarOf(entries []entry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		h.ModTime = time.Unix(1700000000, 0)
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(&h); err != nil {
			return nil, err
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pushPeerImage copies the peers image into r as repo (with its tag) by
// skopeo and returns the reference.
func pushPeerImage(t *testing.T, r *registry, repo string) string {
	t.Helper()
	img := peersImage(t)
	ref := r.ref(repo)
	args := []string{"copy", "-q", "--dest-tls-verify=false"}
	if r.user != "" {
		args = append(args, "--dest-creds", r.creds())
	}
	skopeo(t, append(args, "docker-archive:"+img.archive, "docker://"+ref)...)
	return ref
}
