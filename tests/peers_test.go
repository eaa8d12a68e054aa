package tests

// mydocker's images against real peers: Debian's docker-registry, skopeo
// and podman (see peers_helpers_test.go). What one tool writes, the other
// reads and runs, with the same files, modes, owners and links.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/zstd"
)

// TestPeersReferenceImage checks the peers on their own: the registry
// serves what skopeo copies into it, and podman runs the image with the
// facts peerCheckWant states, so the tests of mydocker below compare
// against what real tools make of the same bytes.
func TestPeersReferenceImage(t *testing.T) {
	img := peersImage(t)
	r := startRegistry(t, false)
	ref := pushPeerImage(t, r, "peers/multi:1")
	p := newPodman(t)
	p.run("pull", "-q", "--tls-verify=false", ref)
	if got := p.runContainer(ref, "sh", "-c", peerCheck); got != peerCheckWant {
		t.Fatalf("podman run of the peers image:\n%s\nwant:\n%s", got, peerCheckWant)
	}
	id := strings.TrimSpace(p.run("image", "inspect", "--format", "{{.ID}}", ref))
	if "sha256:"+id != img.id {
		t.Fatalf("podman's image ID %s, want the config digest %s", id, img.id)
	}
}

// TestPeersRegistryAuth checks the htpasswd registry refuses anonymous
// clients and accepts its user.
func TestPeersRegistryAuth(t *testing.T) {
	r := startRegistry(t, true)
	ref := pushPeerImage(t, r, "peers/auth:1")
	if out, errOut, err := execPeer(nil, "skopeo", "inspect", "--tls-verify=false", "docker://"+ref); err == nil {
		t.Fatalf("anonymous skopeo inspect of %s succeeded: %s", ref, out)
	} else if !strings.Contains(errOut, "authentication required") && !strings.Contains(errOut, "unauthorized") {
		t.Fatalf("anonymous skopeo inspect: %v: %s", err, errOut)
	}
	skopeo(t, "inspect", "--tls-verify=false", "--creds", r.creds(), "docker://"+ref)
}

// runPeerCheck runs peerCheck in image with mydocker and returns what it
// printed.
func (e *env) runPeerCheck(image string) string {
	e.t.Helper()
	return e.run(0, "run", "--rm", image, "sh", "-c", peerCheck).stdout
}

// loadHere loads an archive into mydocker and returns the name it says it
// loaded.
func (e *env) loadHere(archive string) string {
	e.t.Helper()
	return loadedName(e.t, e.run(0, "load", "-i", archive).stdout)
}

// failsOneLine runs mydocker expecting exit 125 and one line on stderr.
func (e *env) failsOneLine(args ...string) string {
	e.t.Helper()
	r := e.run(125, args...)
	msg := strings.TrimSpace(r.stderr)
	if msg == "" || strings.Contains(msg, "\n") {
		e.t.Fatalf("mydocker %q: want one line on stderr, got %q", args, r.stderr)
	}
	return msg
}

// TestPeersArchivesLoadHere: what podman saves, in both its formats, and
// an OCI layout skopeo writes, mydocker loads (from a file, from stdin, or
// from the layout's directory) and runs with the same files, modes, owners
// and links, and the image's own command, working directory and
// environment, under the same image ID.
func TestPeersArchivesLoadHere(t *testing.T) {
	img := peersImage(t)
	p := newPodman(t)
	name := p.load(img.archive)
	dir := t.TempDir()
	for _, tc := range []struct {
		what  string
		make  func(path string)
		stdin bool
	}{
		{what: "podman docker-archive", make: func(path string) { p.run("save", "-q", "--format", "docker-archive", "-o", path, name) }},
		{what: "podman oci-archive", make: func(path string) { p.run("save", "-q", "--format", "oci-archive", "-o", path, name) }, stdin: true},
		{what: "skopeo oci layout", make: func(path string) { skopeo(t, "copy", "-q", "docker-archive:"+img.archive, "oci:"+path+":peers") }},
	} {
		t.Run(tc.what, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.what, " ", "-"))
			tc.make(path)
			e := newEnv(t)
			var loaded string
			if tc.stdin {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				loaded = loadedName(t, e.runIn(data, 0, "load").stdout)
			} else {
				loaded = e.loadHere(path)
			}
			if got := e.runPeerCheck(loaded); got != peerCheckWant {
				t.Fatalf("run %s loaded from %s:\n%s\nwant:\n%s", loaded, tc.what, got, peerCheckWant)
			}
			if got := e.run(0, "run", "--rm", loaded).stdout; got != peerHello {
				t.Fatalf("run %s with the image's Cmd and WorkingDir: %q, want %q", loaded, got, peerHello)
			}
			// Writing OCI, containers/image re-encodes the config, so the
			// ID to keep is the digest of the config in the archive.
			if id, want := inspectImage(e, loaded).ID, archiveConfigDigest(t, path); id != want {
				t.Fatalf("image ID after loading %s: %s, want the config digest %s", tc.what, id, want)
			}
		})
	}
}

// archiveConfigDigest returns "sha256:<hex>" of the image config in a
// docker-archive, an oci-archive or an OCI layout directory.
func archiveConfigDigest(t *testing.T, path string) string {
	t.Helper()
	files := map[string][]byte{}
	if isDir(path) {
		err := filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			rel, _ := filepath.Rel(path, p)
			files[rel] = data
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	} else {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		tr := tar.NewReader(f)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			files[strings.TrimPrefix(h.Name, "./")] = data
		}
	}
	blob := func(d v1.Hash) []byte { return files[filepath.Join("blobs", d.Algorithm, d.Hex)] }
	var config []byte
	if index, ok := files["index.json"]; ok {
		var idx v1.IndexManifest
		var m v1.Manifest
		if err := json.Unmarshal(index, &idx); err != nil || len(idx.Manifests) != 1 {
			t.Fatalf("%s: index.json: %v (%d manifests)", path, err, len(idx.Manifests))
		}
		if err := json.Unmarshal(blob(idx.Manifests[0].Digest), &m); err != nil {
			t.Fatalf("%s: manifest: %v", path, err)
		}
		config = blob(m.Config.Digest)
	} else {
		var m []struct{ Config string }
		if err := json.Unmarshal(files["manifest.json"], &m); err != nil || len(m) != 1 {
			t.Fatalf("%s: manifest.json: %v", path, err)
		}
		config = files[m[0].Config]
	}
	if config == nil {
		t.Fatalf("%s: no image config in it", path)
	}
	return fmt.Sprintf("sha256:%x", sha256.Sum256(config))
}

// TestPeersSavedHereRunsInPodman: what mydocker saves podman loads and
// runs with the same result as mydocker, for a layered image and for the
// blog's plain rootfs tar.
func TestPeersSavedHereRunsInPodman(t *testing.T) {
	img := peersImage(t)
	e := newEnv(t)
	p := newPodman(t)
	dir := t.TempDir()

	name := e.loadHere(img.archive)
	mine := e.runPeerCheck(name)
	if mine != peerCheckWant {
		t.Fatalf("mydocker run of the peers image:\n%s\nwant:\n%s", mine, peerCheckWant)
	}
	archive := filepath.Join(dir, "multi.tar")
	e.ok("save", "-o", archive, name)
	theirs := p.runContainer(p.load(archive), "sh", "-c", peerCheck)
	if theirs != mine {
		t.Fatalf("podman runs mydocker's saved image as:\n%s\nmydocker ran it as:\n%s", theirs, mine)
	}

	// The blog's <root>/image/busybox.tar is a bare rootfs: save must
	// still write an image podman can load.
	archive = filepath.Join(dir, "busybox.tar")
	e.ok("save", "-o", archive, "busybox")
	mine = e.run(0, "run", "--rm", "busybox", "cat", "/etc/passwd").stdout
	theirs = p.runContainer(p.load(archive), "cat", "/etc/passwd")
	if theirs != mine || !strings.HasPrefix(mine, "root:x:0:0:") {
		t.Fatalf("podman runs mydocker's saved busybox as %q, mydocker as %q", theirs, mine)
	}
}

// imageJSON is what the tests read of `image inspect`, as Docker names it.
type imageJSON struct {
	ID          string `json:"Id"`
	RepoTags    []string
	RepoDigests []string
	RootFS      struct{ Layers []string }
	Config      struct {
		Cmd        []string
		Env        []string
		WorkingDir string
	}
}

func inspectImage(e *env, ref string) imageJSON {
	e.t.Helper()
	var out []imageJSON
	if err := json.Unmarshal([]byte(e.ok("image", "inspect", ref)), &out); err != nil || len(out) != 1 {
		e.t.Fatalf("image inspect %s: %v (%d images)", ref, err, len(out))
	}
	return out[0]
}

// registryDigest is the manifest digest the registry serves for ref.
func registryDigest(t *testing.T, r *registry, ref string) string {
	t.Helper()
	args := []string{"inspect", "--tls-verify=false", "--format", "{{.Digest}}"}
	if r.user != "" {
		args = append(args, "--creds", r.creds())
	}
	return strings.TrimSpace(skopeo(t, append(args, "docker://"+ref)...))
}

// TestPeersPullFromRegistry: mydocker pulls what skopeo put in a real
// registry, by tag and by digest, and the container sees every layer
// applied as the OCI spec says (whiteout, opaque directory) with modes,
// owners and hard links intact.
func TestPeersPullFromRegistry(t *testing.T) {
	img := peersImage(t)
	r := startRegistry(t, false)
	ref := pushPeerImage(t, r, "peers/multi:1")
	digest := registryDigest(t, r, ref)

	e := newEnv(t)
	e.ok("pull", ref)
	if got := e.runPeerCheck(ref); got != peerCheckWant {
		t.Fatalf("run of the pulled image:\n%s\nwant:\n%s", got, peerCheckWant)
	}
	in := inspectImage(e, ref)
	if in.ID != img.id || !slices.Equal(in.RootFS.Layers, img.diffIDs) {
		t.Fatalf("pulled image: ID %s layers %v, want %s %v", in.ID, in.RootFS.Layers, img.id, img.diffIDs)
	}
	if want := r.ref("peers/multi@" + digest); !slices.Contains(in.RepoDigests, want) {
		t.Fatalf("RepoDigests %v lack %s", in.RepoDigests, want)
	}

	byDigest := r.ref("peers/multi@" + digest)
	e2 := newEnv(t)
	e2.ok("pull", byDigest)
	if got := e2.run(0, "run", "--rm", byDigest).stdout; got != peerHello {
		t.Fatalf("run of the image pulled by digest: %q, want %q", got, peerHello)
	}
}

// TestPeersPushToRegistry: what mydocker pushes, the registry stores with
// the same config (so the same image ID) and the same layer contents,
// skopeo copies back intact, and podman pulls and runs.
func TestPeersPushToRegistry(t *testing.T) {
	img := peersImage(t)
	r := startRegistry(t, false)
	e := newEnv(t)
	name := e.loadHere(img.archive)
	ref := r.ref("pushed/multi:2")
	e.ok("tag", name, ref)
	pushed := e.run(0, "push", ref).stdout
	digest := registryDigest(t, r, ref)
	if !strings.Contains(pushed, digest) {
		t.Fatalf("push printed %q, without the registry's manifest digest %s", pushed, digest)
	}

	// The config, byte for byte: its digest is the image ID.
	rawConfig := skopeo(t, "inspect", "--tls-verify=false", "--raw", "--config", "docker://"+ref)
	if id := fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(rawConfig))); id != img.id {
		t.Fatalf("the registry's config has digest %s, want the image ID %s", id, img.id)
	}
	var cfg v1.ConfigFile
	if err := json.Unmarshal([]byte(rawConfig), &cfg); err != nil {
		t.Fatal(err)
	}
	var diffIDs []string
	for _, d := range cfg.RootFS.DiffIDs {
		diffIDs = append(diffIDs, d.String())
	}
	if !slices.Equal(diffIDs, img.diffIDs) || !slices.Equal(cfg.Config.Cmd, img.config.Cmd) ||
		!slices.Equal(cfg.Config.Env, img.config.Env) || cfg.Config.WorkingDir != img.config.WorkingDir {
		t.Fatalf("pushed config: diff IDs %v, config %+v; want %v, %+v", diffIDs, cfg.Config, img.diffIDs, img.config)
	}

	// Every layer skopeo copies back uncompresses to its diff ID.
	dir := filepath.Join(t.TempDir(), "copy")
	skopeo(t, "copy", "-q", "--src-tls-verify=false", "docker://"+ref, "dir:"+dir)
	var m v1.Manifest
	if data, err := os.ReadFile(filepath.Join(dir, "manifest.json")); err != nil {
		t.Fatal(err)
	} else if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.Config.Digest.String() != img.id || len(m.Layers) != len(img.diffIDs) {
		t.Fatalf("copied manifest: config %s, %d layers; want %s, %d", m.Config.Digest, len(m.Layers), img.id, len(img.diffIDs))
	}
	for i, l := range m.Layers {
		if got := uncompressedDigest(t, filepath.Join(dir, l.Digest.Hex)); got != img.diffIDs[i] {
			t.Fatalf("layer %d (%s, %s) uncompresses to %s, want %s", i, l.Digest, l.MediaType, got, img.diffIDs[i])
		}
	}

	p := newPodman(t)
	p.run("pull", "-q", "--tls-verify=false", ref)
	if got := p.runContainer(ref, "sh", "-c", peerCheck); got != peerCheckWant {
		t.Fatalf("podman runs the image mydocker pushed as:\n%s\nwant:\n%s", got, peerCheckWant)
	}
}

// uncompressedDigest returns "sha256:<hex>" of a layer blob after gzip or
// zstd decompression (or of the blob itself if uncompressed).
func uncompressedDigest(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rc, err := decompressAny(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return fmt.Sprintf("sha256:%x", h.Sum(nil))
}

// decompressAny undoes gzip or zstd, told apart by their magic numbers;
// anything else is read as is.
func decompressAny(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return gzip.NewReader(br)
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		d, err := zstd.NewReader(br)
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return io.NopCloser(br), nil
}

// TestPeersLoginLogout: against a registry with htpasswd auth, pull and
// push fail until `login`, work after it, and fail again after `logout`,
// each failure exit 125 with one line. Credentials go to Docker's config
// file (DOCKER_CONFIG here, never the machine's ~/.docker), readable by
// its owner only.
func TestPeersLoginLogout(t *testing.T) {
	r := startRegistry(t, true)
	ref := pushPeerImage(t, r, "peers/auth:1")
	config := t.TempDir()
	t.Setenv("DOCKER_CONFIG", config)
	e := newEnv(t)

	e.failsOneLine("pull", ref)
	// (--password-stdin: with -p, Docker's warning is a line of its own.)
	if res := e.runIn([]byte(r.pass+"-wrong\n"), 125, "login", "-u", r.user, "--password-stdin", r.host); strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
		t.Fatalf("login with a wrong password: want one line on stderr, got %q", res.stderr)
	}
	if data, err := os.ReadFile(filepath.Join(config, "config.json")); err == nil && strings.Contains(string(data), r.host) {
		t.Fatalf("a refused login stored credentials: %s", data)
	}

	if out := e.ok("login", "-u", r.user, "-p", r.pass, r.host); !strings.Contains(out, "Login Succeeded") {
		t.Fatalf("login printed %q, want Login Succeeded", out)
	}
	st, err := os.Stat(filepath.Join(config, "config.json"))
	if err != nil {
		t.Fatalf("login stored no credentials in DOCKER_CONFIG: %v", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		t.Fatalf("credentials file mode %v: readable by others", st.Mode().Perm())
	}
	e.ok("pull", ref)
	if got := e.run(0, "run", "--rm", ref).stdout; got != peerHello {
		t.Fatalf("run of the image pulled with credentials: %q, want %q", got, peerHello)
	}
	pushed := r.ref("peers/pushed:1")
	e.ok("tag", ref, pushed)
	e.ok("push", pushed)
	registryDigest(t, r, pushed) // fails the test unless the push arrived

	e.ok("logout", r.host)
	if data, err := os.ReadFile(filepath.Join(config, "config.json")); err != nil {
		t.Fatal(err)
	} else if strings.Contains(string(data), r.host) {
		t.Fatalf("logout left the credentials: %s", data)
	}
	e.ok("rmi", ref)
	e.failsOneLine("pull", ref)
	e.ok("tag", pushed, r.ref("peers/pushed:2"))
	e.failsOneLine("push", r.ref("peers/pushed:2"))

	// --password-stdin, as scripts log in.
	if out := e.runIn([]byte(r.pass+"\n"), 0, "login", "-u", r.user, "--password-stdin", r.host).stdout; !strings.Contains(out, "Login Succeeded") {
		t.Fatalf("login --password-stdin printed %q", out)
	}
	e.ok("pull", ref)
}

// storeFiles lists every path under root, relative to it.
func storeFiles(t *testing.T, root string) map[string]bool {
	t.Helper()
	paths := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		paths[rel] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

// assertPullLeftNothing checks that a failed pull added to the state root
// nothing but the store's empty directories and index files, complete
// blobs (their content hashes to their name) and the unpacked layers
// listed in keep: no partial download, no temporary, no half layer.
func assertPullLeftNothing(t *testing.T, e *env, before map[string]bool, keep ...string) {
	t.Helper()
	dirs := map[string]bool{"blobs": true, "blobs/sha256": true, "layers": true, "layers/sha256": true, "imagedb": true}
	for p := range storeFiles(t, e.root) {
		if before[p] {
			continue
		}
		full := filepath.Join(e.root, p)
		st, err := os.Lstat(full)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(p, string(filepath.Separator))
		switch {
		case dirs[p] && st.IsDir():
		case parts[0] == "imagedb" && len(parts) == 2 && st.Mode().IsRegular() &&
			(parts[1] == "images.json" || strings.HasSuffix(parts[1], "lock")):
		case len(parts) == 3 && parts[0] == "blobs" && parts[1] == "sha256" && st.Mode().IsRegular():
			data, err := os.ReadFile(full)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%x", sha256.Sum256(data)) != parts[2] {
				t.Errorf("failed pull left a partial or corrupt blob: %s", p)
			}
		case len(parts) >= 3 && parts[0] == "layers" && parts[1] == "sha256" && slices.Contains(keep, "sha256:"+parts[2]):
		default:
			t.Errorf("failed pull left %s behind", p)
		}
	}
}

// TestPeersPullFailures: a registry that is down, a repository or tag it
// does not have, and a blob it lost or serves corrupted: each pull exits
// 125 with one line and leaves no partial download, temporary or half
// unpacked layer; once the registry is whole again the same pull works.
func TestPeersPullFailures(t *testing.T) {
	img := peersImage(t)
	r := startRegistry(t, false)
	ref := pushPeerImage(t, r, "peers/multi:1")
	e := newEnv(t)
	before := storeFiles(t, e.root)

	down := fmt.Sprintf("127.0.0.1:%d/peers/multi:1", freePort(t))
	e.failsOneLine("pull", down)
	e.failsOneLine("pull", r.ref("peers/nothing:1"))
	e.failsOneLine("pull", r.ref("peers/multi:nothing"))
	assertPullLeftNothing(t, e, before)
	if out := e.ok("images"); strings.Contains(out, "peers/") {
		t.Fatalf("images lists an image no pull completed:\n%s", out)
	}

	// The top layer's blob, as the registry stores it.
	var m v1.Manifest
	if err := json.Unmarshal([]byte(skopeo(t, "inspect", "--tls-verify=false", "--raw", "docker://"+ref)), &m); err != nil {
		t.Fatal(err)
	}
	top := m.Layers[len(m.Layers)-1].Digest
	blob := filepath.Join(r.storage, "docker/registry/v2/blobs", top.Algorithm, top.Hex[:2], top.Hex, "data")
	good, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	topDiffID := img.diffIDs[len(img.diffIDs)-1]

	t.Run("lost blob", func(t *testing.T) {
		if err := os.Remove(blob); err != nil {
			t.Fatal(err)
		}
		defer restoreBlob(t, blob, good)
		e.failsOneLine("pull", ref)
		assertPullLeftNothing(t, e, before, img.diffIDs[:len(img.diffIDs)-1]...)
	})
	t.Run("corrupt blob", func(t *testing.T) {
		bad := bytes.Clone(good)
		bad[len(bad)/2] ^= 0xff
		if err := os.WriteFile(blob, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		defer restoreBlob(t, blob, good)
		e.failsOneLine("pull", ref)
		assertPullLeftNothing(t, e, before, img.diffIDs[:len(img.diffIDs)-1]...)
	})
	if t.Failed() {
		return
	}
	e.ok("pull", ref)
	if got := e.runPeerCheck(ref); got != peerCheckWant {
		t.Fatalf("run after the registry recovered:\n%s\nwant:\n%s", got, peerCheckWant)
	}
	if !isDir(filepath.Join(e.root, "layers", "sha256", strings.TrimPrefix(topDiffID, "sha256:"))) {
		t.Fatalf("layer %s not under <root>/layers after the pull", topDiffID)
	}
}

func restoreBlob(t *testing.T, path string, data []byte) {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatalf("restore the registry's blob: %v", err)
	}
}

// What commit makes travels: commit, push to the real registry, pull into
// another store and run give the same files, deletions included, and the
// same image ID and config.
func TestCommitPushPullElsewhere(t *testing.T) {
	r := startRegistry(t, false)
	e := newEnv(t)
	e.ok("run", "--name", "src", "busybox", "sh", "-c", "mkdir -p /app && echo v2 > /app/version && rm /bin/vi")
	id := e.ok("commit", "-c", `CMD ["cat", "/app/version"]`, "src", r.ref("team/app:2"))
	e.ok("push", r.ref("team/app:2"))

	other := newEnv(t)
	other.ok("pull", r.ref("team/app:2"))
	if got := other.ok("images", "-q", "--no-trunc", r.ref("team/app:2")); got != id {
		t.Fatalf("pulled image ID %q, committed %q", got, id)
	}
	if got := other.ok("run", "--rm", r.ref("team/app:2")); got != "v2" {
		t.Fatalf("pulled image runs %q", got)
	}
	if got := other.run(1, "run", "--rm", r.ref("team/app:2"), "ls", "/bin/vi"); !strings.Contains(got.stderr+got.stdout, "No such file") {
		t.Fatalf("a file deleted before the commit is back: %q", got.stdout+got.stderr)
	}
}
