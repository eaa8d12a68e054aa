package main

// The pull benchmark: one multi-layer image in a local docker-registry,
// pulled side by side by mydocker, skopeo (download and verify only, into
// a dir: layout) and podman (download, verify and unpack into overlay
// storage), each into fresh storage every round.

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/moby/sys/mountinfo"
)

// pullBench measures pulls of a pullMB image made of the busybox rootfs
// (in work/root/image/busybox.tar) plus pullLayers layers of random files.
func pullBench(work string, rounds int) ([]row, error) {
	fmt.Fprintf(os.Stderr, "preparing a %d MB, %d-layer image in a local registry ...\n", *pullMB, *pullLayers+1)
	busybox := filepath.Join(work, "root", "image", "busybox.tar")
	archive := filepath.Join(work, "pull-image.tar")
	if err := makePullImage(busybox, archive, *pullMB, *pullLayers); err != nil {
		return nil, fmt.Errorf("make the pull image: %v", err)
	}
	reg, err := startRegistry(filepath.Join(work, "registry"))
	if err != nil {
		return nil, err
	}
	defer reg.stop()
	ref := reg.host + "/bench/pull:1"
	if out, err := peer("skopeo", "copy", "-q", "--dest-tls-verify=false",
		"docker-archive:"+archive, "docker://"+ref).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("skopeo copy into the registry: %v: %s", err, out)
	}
	conf, err := podmanConf(work)
	if err != nil {
		return nil, err
	}

	var mine, skopeoT, podmanT, firstRun, busyboxRun []time.Duration
	for i := 0; i < rounds; i++ {
		dir := filepath.Join(work, fmt.Sprintf("pull-%d", i))
		root := filepath.Join(dir, "mydocker")
		if err := os.MkdirAll(filepath.Join(root, "image"), 0o755); err != nil {
			return nil, err
		}
		if err := os.Link(busybox, filepath.Join(root, "image", "busybox.tar")); err != nil {
			return nil, err
		}
		md := func(args ...string) *exec.Cmd {
			return quiet(exec.Command(*bin, append([]string{"--root", root}, args...)...))
		}
		podman := func(args ...string) *exec.Cmd {
			c := quiet(peer("podman", append([]string{"--root", filepath.Join(dir, "podman"),
				"--runroot", filepath.Join(dir, "podman-run"), "--storage-driver", "overlay", "--runtime", "runc"}, args...)...))
			c.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
			return c
		}
		// Warm busybox first: its rootfs tar becomes a layer on first use,
		// and what is compared below is a run with nothing to unpack.
		if err := md("run", "--rm", "busybox", "true").Run(); err != nil {
			return nil, fmt.Errorf("warm-up run of busybox: %v", err)
		}
		// The order rotates each round, so drift in the machine's load and
		// the page cache's state favour no tool.
		steps := []struct {
			c  *exec.Cmd
			to *[]time.Duration
		}{
			{md("pull", ref), &mine},
			{quiet(peer("skopeo", "copy", "-q", "--src-tls-verify=false", "docker://"+ref, "dir:"+filepath.Join(dir, "skopeo"))), &skopeoT},
			{podman("pull", "-q", "--tls-verify=false", ref), &podmanT},
		}
		for j := range steps {
			s := steps[(i+j)%len(steps)]
			if err := timed(s.c, s.to); err != nil {
				return nil, err
			}
		}
		// The pulls leave hundreds of MB for writeback; a run's fsyncs would
		// wait for them. Flush first: what is measured is the run itself.
		if err := exec.Command("sync").Run(); err != nil {
			return nil, fmt.Errorf("sync: %v", err)
		}
		runs := []struct {
			c  *exec.Cmd
			to *[]time.Duration
		}{{md("run", "--rm", ref, "true"), &firstRun}, {md("run", "--rm", "busybox", "true"), &busyboxRun}}
		for j := range runs {
			r := runs[(i+j)%len(runs)]
			if err := timed(r.c, r.to); err != nil {
				return nil, err
			}
		}
		// Its runs made the round's root a default network: a bridge and
		// NAT rules that would outlive the directory.
		if err := removeContainers(root); err != nil {
			return nil, err
		}
		if err := removeUnmounted(dir); err != nil {
			return nil, err
		}
	}
	what := fmt.Sprintf("pull %d MB, %d layers", *pullMB, *pullLayers+1)
	return []row{
		timeRow(8, what, median(mine), median(skopeoT), "skopeo copy", ratioAtMost(1.00),
			"from the same local registry, each into fresh storage, the order rotating each round; skopeo copies to a dir: (no unpack)"),
		timeRow(8, what, median(mine), median(podmanT), "podman pull", target{},
			"for context, no target: podman pull --runtime runc into overlay storage (it unpacks, as mydocker does)"),
		timeRow(9, "first run --rm of the pulled image", median(firstRun), median(busyboxRun), "busybox (same tool)", ratioAtMost(1.05),
			fmt.Sprintf("the first run after each round's pull, alternating with busybox's; medians of %d rounds", rounds)),
	}, nil
}

// peer runs skopeo or podman in a mount namespace where /var/lib is an
// empty tmpfs: whatever --root says, containers/image keeps a blob cache
// in /var/lib/containers/cache, and the benchmark leaves nothing behind.
// (unshare and sh add a few milliseconds to runs of a second or more.)
func peer(name string, args ...string) *exec.Cmd {
	return exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "--",
		"sh", "-ec", `mount -t tmpfs -o mode=0755 tmpfs /var/lib; exec "$@"`, "sh", name}, args...)...)
}

// timed runs c and appends its wall time to ts; a failure is returned
// with c's stderr, so the caller still stops what it started.
func timed(c *exec.Cmd, ts *[]time.Duration) error {
	if interrupted.Load() {
		return errInterrupted
	}
	start := time.Now()
	if err := c.Run(); err != nil {
		msg := ""
		if b, ok := c.Stderr.(*bytes.Buffer); ok {
			msg = strings.TrimSpace(b.String())
		}
		return fmt.Errorf("%s: %v: %s", strings.Join(c.Args, " "), err, msg)
	}
	*ts = append(*ts, time.Since(start))
	return nil
}

// makePullImage writes a docker-archive: the busybox rootfs, then layers
// files of random (incompressible) bytes adding up to about mb MB.
func makePullImage(busybox, out string, mb, layers int) error {
	base, err := tarball.LayerFromFile(busybox)
	if err != nil {
		return err
	}
	all := []v1.Layer{base}
	per := int64(mb) << 20 / int64(layers)
	for i := 0; i < layers; i++ {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		dir := fmt.Sprintf("data/%d/", i)
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755}); err != nil {
			return err
		}
		// Files of 1 MB, as real layers hold many files, not one blob.
		for left, n := per, 0; left > 0; n++ {
			size := min(left, 1<<20)
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("%sf%03d", dir, n), Mode: 0o644, Size: size}); err != nil {
				return err
			}
			if _, err := io.CopyN(tw, rand.Reader, size); err != nil {
				return err
			}
			left -= size
		}
		if err := tw.Close(); err != nil {
			return err
		}
		data := buf.Bytes()
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
		if err != nil {
			return err
		}
		all = append(all, l)
	}
	img, err := mutate.AppendLayers(empty.Image, all...)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Cmd = []string{"sh"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	return tarball.WriteToFile(out, name.MustParseReference("localhost/bench/pull:1"), img)
}

// registry is Debian's docker-registry serving on a free loopback port.
type registry struct {
	host   string
	cmd    *exec.Cmd
	exited chan error
}

func startRegistry(dir string) (*registry, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	host := l.Addr().String()
	l.Close()
	var secret [16]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"+
		"storage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n  secret: %s\n",
		filepath.Join(dir, "storage"), host, hex.EncodeToString(secret[:]))
	confPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	// Its log (404s for blobs not yet pushed are normal) goes to a file,
	// shown only if it fails to start.
	logPath := filepath.Join(dir, "registry.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	r := &registry{host: host, cmd: exec.Command("docker-registry", "serve", confPath), exited: make(chan error, 1)}
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	// Killed with the benchmark, even when its deferred stop cannot run.
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start docker-registry (make deps installs it): %v", err)
	}
	go func() { r.exited <- r.cmd.Wait() }()
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-r.exited:
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("docker-registry on %s exited: %v: %s", host, err, log)
		default:
		}
		if resp, err := client.Get("http://" + host + "/v2/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r, nil
			}
		}
		if time.Now().After(deadline) {
			r.stop()
			return nil, fmt.Errorf("docker-registry on %s not answering after 30s", host)
		}
	}
}

func (r *registry) stop() {
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(10 * time.Second):
		r.cmd.Process.Kill()
		<-r.exited
	}
}

// podmanConf writes a containers.conf that keeps podman's locks and state
// in work: runc (crun cannot run on every host), no ulimits (podman's
// defaults can exceed the host's hard limits), no systemd.
func podmanConf(work string) (string, error) {
	conf := fmt.Sprintf("[containers]\ndefault_ulimits = []\n[engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\n"+
		"events_logger = \"none\"\nlock_type = \"file\"\ntmp_dir = %q\n[network]\nnetwork_config_dir = %q\n",
		filepath.Join(work, "podman-tmp"), filepath.Join(work, "podman-net"))
	p := filepath.Join(work, "containers.conf")
	return p, os.WriteFile(p, []byte(conf), 0o644)
}

// removeUnmounted removes dir unless something is mounted under it (a
// tool left a mount): then it fails rather than delete through it.
func removeUnmounted(dir string) error {
	mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		return err
	}
	if len(mounts) > 0 {
		var ps []string
		for _, m := range mounts {
			ps = append(ps, m.Mountpoint)
		}
		return fmt.Errorf("not removing %s: mounted under it: %s", dir, strings.Join(ps, ", "))
	}
	return os.RemoveAll(dir)
}
