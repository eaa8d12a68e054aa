package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sys/unix"
)

// testRegistry is go-containerregistry's in-process registry on
// 127.0.0.1, with hooks to count, break or guard blob requests.
type testRegistry struct {
	host string
	mu   sync.Mutex
	gets map[string]int // blob GETs by digest
	// fault, if set, may answer a request instead of the registry.
	fault func(w http.ResponseWriter, r *http.Request) bool
}

func newTestRegistry(t *testing.T) *testRegistry {
	t.Helper()
	tr := &testRegistry{gets: map[string]int{}}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if i := strings.Index(r.URL.Path, "/blobs/sha256:"); i >= 0 && r.Method == http.MethodGet {
			tr.mu.Lock()
			tr.gets[r.URL.Path[i+len("/blobs/"):]]++
			tr.mu.Unlock()
		}
		tr.mu.Lock()
		fault := tr.fault
		tr.mu.Unlock()
		if fault != nil && fault(w, r) {
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	tr.host = strings.TrimPrefix(srv.URL, "http://")
	return tr
}

func (tr *testRegistry) setFault(f func(w http.ResponseWriter, r *http.Request) bool) {
	tr.mu.Lock()
	tr.fault = f
	tr.mu.Unlock()
}

func (tr *testRegistry) blobGets(h v1.Hash) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.gets[h.String()]
}

// file is one entry of a test layer.
type file struct {
	name, body, link string
	typ              byte
	mode             int64
}

func layerOf(t *testing.T, files ...file) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Typeflag: f.typ, Mode: f.mode, Linkname: f.link, Size: int64(len(f.body))}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte(f.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func imageOf(t *testing.T, cfg v1.Config, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config = cfg
	cf.OS, cf.Architecture = "linux", "amd64"
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func (tr *testRegistry) push(t *testing.T, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(tr.host + "/" + ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}

func newRootStore(t *testing.T) *Store {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("these tests unpack layers with owners and device nodes: run them as root")
	}
	return NewStore(t.TempDir())
}

// base is a small layer stack: a lower layer with files, an upper one
// deleting and replacing some of them.
func baseLayers(t *testing.T) (v1.Layer, v1.Layer) {
	lower := layerOf(t,
		file{name: "etc/", typ: tar.TypeDir},
		file{name: "etc/gone", body: "deleted above"},
		file{name: "etc/kept", body: "kept"},
		file{name: "opq/", typ: tar.TypeDir},
		file{name: "opq/old", body: "hidden by the opaque dir"},
		file{name: "tmp/", typ: tar.TypeDir, mode: 0o1777},
		file{name: "bin/", typ: tar.TypeDir},
		file{name: "bin/passwd", body: "suid", mode: 0o4755},
		file{name: "bin/a", body: "linked"},
		file{name: "bin/b", typ: tar.TypeLink, link: "bin/a"},
	)
	upper := layerOf(t,
		file{name: "etc/", typ: tar.TypeDir},
		file{name: "etc/.wh.gone"},
		file{name: "opq/", typ: tar.TypeDir},
		file{name: "opq/.wh..wh..opq"},
		file{name: "opq/new", body: "upper"},
	)
	return lower, upper
}

func TestPullRunsWhatTheRegistryHas(t *testing.T) {
	reg := newTestRegistry(t)
	lower, upper := baseLayers(t)
	reg.push(t, "test/app:1", imageOf(t, v1.Config{Cmd: []string{"/bin/sh"}, Env: []string{"A=b"}, WorkingDir: "/etc"}, lower, upper))
	s := newRootStore(t)
	img, err := s.Pull(reg.host+"/test/app:1", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img.Config.WorkingDir != "/etc" || len(img.Config.Cmd) != 1 || len(img.Layers) != 2 {
		t.Fatalf("pulled %+v", img)
	}
	// The layers, mounted as a container's are, show the upper layer's
	// deletions and opaque directory.
	merged := mountLayers(t, img.Layers)
	for path, want := range map[string]string{"etc/kept": "kept", "opq/new": "upper", "bin/a": "linked"} {
		if b, err := os.ReadFile(filepath.Join(merged, path)); err != nil || string(b) != want {
			t.Errorf("%s: %q %v", path, b, err)
		}
	}
	for _, gone := range []string{"etc/gone", "opq/old", "etc/.wh.gone", "opq/.wh..wh..opq"} {
		if _, err := os.Lstat(filepath.Join(merged, gone)); !os.IsNotExist(err) {
			t.Errorf("%s is visible: %v", gone, err)
		}
	}
	for path, mode := range map[string]uint32{"tmp": 0o1777, "bin/passwd": 0o4755} {
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(merged, path), &st); err != nil || st.Mode&0o7777 != mode {
			t.Errorf("%s: mode %o, want %o (%v)", path, st.Mode&0o7777, mode, err)
		}
	}
	var a, b unix.Stat_t
	unix.Lstat(filepath.Join(img.Layers[0], "bin/a"), &a)
	unix.Lstat(filepath.Join(img.Layers[0], "bin/b"), &b)
	if a.Ino != b.Ino || a.Ino == 0 {
		t.Errorf("hard link not kept: inodes %d and %d", a.Ino, b.Ino)
	}
	// Found again by name and by ID, without the registry.
	for _, ref := range []string{reg.host + "/test/app:1", img.ID, img.Digest[:12]} {
		if got, err := s.Get(ref); err != nil || got.ID != img.ID {
			t.Errorf("Get(%s): %v", ref, err)
		}
	}
}

func mountLayers(t *testing.T, layers []string) string {
	t.Helper()
	dir := t.TempDir()
	lower := make([]string, len(layers))
	for i, l := range layers {
		lower[len(layers)-1-i] = l
	}
	if err := unix.Mount("overlay", dir, "overlay", unix.MS_RDONLY, "lowerdir="+strings.Join(lower, ":")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

func TestPullResolvesIndexToPlatform(t *testing.T) {
	reg := newTestRegistry(t)
	amd := imageOf(t, v1.Config{Cmd: []string{"amd64"}}, layerOf(t, file{name: "arch", body: "amd64"}))
	arm := imageOf(t, v1.Config{Cmd: []string{"arm64"}}, layerOf(t, file{name: "arch", body: "arm64"}))
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
	)
	r, _ := name.ParseReference(reg.host + "/multi:latest")
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	s := newRootStore(t)
	for plat, want := range map[string]string{"": "amd64", "linux/arm64": "arm64"} {
		img, err := s.Pull(reg.host+"/multi", PullOptions{Platform: plat})
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(filepath.Join(img.Layers[0], "arch")); string(b) != want {
			t.Errorf("--platform %q: got %q, want %s", plat, b, want)
		}
	}
	if _, err := s.Pull(reg.host+"/multi", PullOptions{Platform: "linux/s390x"}); err == nil {
		t.Error("a platform the index lacks was pulled")
	}
}

func TestPullRefusesTamperedLayer(t *testing.T) {
	reg := newTestRegistry(t)
	l := layerOf(t, file{name: "f", body: strings.Repeat("x", 10000)})
	reg.push(t, "bad:1", imageOf(t, v1.Config{}, l))
	digest, _ := l.Digest()
	reg.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, digest.String()) || r.Method != http.MethodGet {
			return false
		}
		// Another valid gzip stream: right size, wrong content.
		other := layerOf(t, file{name: "f", body: strings.Repeat("y", 10000)})
		rc, _ := other.Compressed()
		io.Copy(w, rc)
		return true
	})
	s := newRootStore(t)
	_, err := s.Pull(reg.host+"/bad:1", PullOptions{})
	if err == nil {
		t.Fatal("a layer with the wrong digest was accepted")
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
	assertNothingStored(t, s)
}

// assertNothingStored checks a failed pull left no image, layer, blob or
// temporary behind.
func assertNothingStored(t *testing.T, s *Store) {
	t.Helper()
	if list, err := s.List(); err != nil || len(list) != 0 {
		t.Errorf("images after a failed pull: %v %v", list, err)
	}
	for _, dir := range []string{filepath.Join(s.layout.LayerDir(), "sha256"), s.layout.LayerDir()} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if e.Name() != "sha256" {
				t.Errorf("left in %s: %s", dir, e.Name())
			}
		}
	}
	ents, _ := os.ReadDir(s.blobDir())
	for _, e := range ents {
		if e.Name() != "sha256" {
			t.Errorf("left in blobs: %s", e.Name())
		}
	}
}

func TestInterruptedPullResumes(t *testing.T) {
	reg := newTestRegistry(t)
	var layers []v1.Layer
	for i := 0; i < 3; i++ {
		layers = append(layers, layerOf(t, file{name: "f" + string(rune('a'+i)), body: strings.Repeat("z", 50000+i)}))
	}
	reg.push(t, "big:1", imageOf(t, v1.Config{}, layers...))
	broken, _ := layers[2].Digest()
	reg.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, broken.String()) {
			return false
		}
		// Half the blob, then the connection drops.
		w.Header().Set("Content-Length", "100000")
		w.WriteHeader(http.StatusOK)
		rc, _ := layers[2].Compressed()
		io.CopyN(w, rc, 100)
		panic(http.ErrAbortHandler)
	})
	s := newRootStore(t)
	if _, err := s.Pull(reg.host+"/big:1", PullOptions{}); err == nil {
		t.Fatal("pull succeeded over a dropped connection")
	}
	if list, _ := s.List(); len(list) != 0 {
		t.Fatalf("a half-pulled image is listed: %v", list)
	}
	d0, _ := layers[0].Digest()
	before := reg.blobGets(d0)
	reg.setFault(nil)
	img, err := s.Pull(reg.host+"/big:1", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(img.Layers) != 3 {
		t.Fatalf("layers %v", img.Layers)
	}
	if got := reg.blobGets(d0); got != before {
		t.Errorf("a layer stored by the first pull was fetched again (%d -> %d GETs)", before, got)
	}
}

func TestPushThenPullElsewhereGivesSameImage(t *testing.T) {
	reg := newTestRegistry(t)
	lower, upper := baseLayers(t)
	reg.push(t, "src:1", imageOf(t, v1.Config{Cmd: []string{"x"}}, lower, upper))
	a := newRootStore(t)
	img, err := a.Pull(reg.host+"/src:1", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Tag(reg.host+"/src:1", reg.host+"/dst:2"); err != nil {
		t.Fatal(err)
	}
	digest, err := a.Push(reg.host+"/dst:2", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := newRootStore(t)
	got, err := b.Pull(reg.host+"/dst:2", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != img.ID {
		t.Errorf("pushed and pulled back: ID %s, want %s", got.ID, img.ID)
	}
	if got.Entry.RepoDigests[0] != reg.host+"/dst@"+digest {
		t.Errorf("repo digest %v, pushed %s", got.Entry.RepoDigests, digest)
	}
}

func TestPullWithCredentials(t *testing.T) {
	reg := newTestRegistry(t)
	reg.push(t, "private:1", imageOf(t, v1.Config{}, layerOf(t, file{name: "f", body: "secret"})))
	reg.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if u, p, ok := r.BasicAuth(); ok && u == "user" && p == "pass" {
			return false
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		w.WriteHeader(http.StatusUnauthorized)
		return true
	})
	s := newRootStore(t)
	_, err := s.Pull(reg.host+"/private:1", PullOptions{Keychain: authn.NewMultiKeychain()})
	if err == nil || !strings.Contains(err.Error(), "access denied") {
		t.Fatalf("pull without credentials: %v", err)
	}
	kc := staticKeychain{host: reg.host, auth: authn.FromConfig(authn.AuthConfig{Username: "user", Password: "pass"})}
	if _, err := s.Pull(reg.host+"/private:1", PullOptions{Keychain: kc}); err != nil {
		t.Fatal(err)
	}
}

type staticKeychain struct {
	host string
	auth authn.Authenticator
}

func (k staticKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if r.RegistryStr() == k.host {
		return k.auth, nil
	}
	return authn.Anonymous, nil
}

func TestSharedLayersStoredOnceAndCollected(t *testing.T) {
	reg := newTestRegistry(t)
	shared := layerOf(t, file{name: "shared", body: strings.Repeat("s", 30000)})
	reg.push(t, "one:1", imageOf(t, v1.Config{}, shared, layerOf(t, file{name: "one", body: "1"})))
	reg.push(t, "two:1", imageOf(t, v1.Config{}, shared, layerOf(t, file{name: "two", body: "2"})))
	s := newRootStore(t)
	one, err := s.Pull(reg.host+"/one:1", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	two, err := s.Pull(reg.host+"/two:1", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if one.Layers[0] != two.Layers[0] {
		t.Fatalf("shared layer stored twice: %s %s", one.Layers[0], two.Layers[0])
	}
	sd, _ := shared.Digest()
	if n := reg.blobGets(sd); n != 1 {
		t.Errorf("shared layer fetched %d times", n)
	}
	count := func() int { e, _ := os.ReadDir(filepath.Join(s.layout.LayerDir(), "sha256")); return len(e) }
	if n := count(); n != 3 {
		t.Fatalf("%d layers stored, want 3", n)
	}
	noContainers := func(string) string { return "" }
	if _, err := s.Remove(reg.host+"/one:1", false, noContainers); err != nil {
		t.Fatal(err)
	}
	// A container still runs from two's layers even once two is gone.
	if _, err := s.Remove(reg.host+"/two:1", true, noContainers); err != nil {
		t.Fatal(err)
	}
	if err := s.Collect(two.Layers); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d layers after collection, want two's 2", n)
	}
	for _, l := range two.Layers {
		if _, err := os.Stat(l); err != nil {
			t.Errorf("a layer a container uses was deleted: %v", err)
		}
	}
	if err := s.Collect(nil); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d layers left once nothing uses them", n)
	}
	blobs, _ := os.ReadDir(filepath.Join(s.blobDir(), "sha256"))
	if len(blobs) != 0 {
		t.Errorf("%d blobs left once nothing uses them", len(blobs))
	}
}

func TestRemoveRefusesImageInUse(t *testing.T) {
	reg := newTestRegistry(t)
	reg.push(t, "used:1", imageOf(t, v1.Config{}, layerOf(t, file{name: "f", body: "x"})))
	s := newRootStore(t)
	img, err := s.Pull(reg.host+"/used:1", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inUse := func(id string) string {
		if id == img.ID {
			return "c1"
		}
		return ""
	}
	if _, err := s.Remove(reg.host+"/used:1", false, inUse); err == nil || !strings.Contains(err.Error(), "c1") {
		t.Fatalf("removed an image a container uses: %v", err)
	}
	// A second name can go: the image stays.
	s.Tag(img.ID, "other:1")
	if out, err := s.Remove("other:1", false, inUse); err != nil || out.Deleted != "" {
		t.Fatalf("untag: %+v %v", out, err)
	}
	if _, err := s.Get(img.ID); err != nil {
		t.Fatal(err)
	}
}

// A blob read from an OCI layout is checked against its digest even when
// it decompresses to the right layer: here it is the same tar compressed
// again, differently, as a swapped file in a layout would be.
func TestLoadLayoutRefusesBlobNotMatchingDigest(t *testing.T) {
	l := layerOf(t, file{name: "f", body: strings.Repeat("same content ", 1000)})
	img := imageOf(t, v1.Config{}, l)
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{refNameAnnotation: "localhost/swapped:1"})); err != nil {
		t.Fatal(err)
	}
	digest, _ := l.Digest()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&again, gzip.BestCompression)
	io.Copy(zw, rc)
	zw.Close()
	if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", digest.Hex), again.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newRootStore(t)
	if _, err := s.Load(dir, nil, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "digest mismatch") {
		t.Fatalf("a blob not matching its digest was loaded: %v", err)
	}
	assertNothingStored(t, s)
}

// A collection (rmi's) while a pull is under way must not take the layers
// the pull already stored: no image names them yet.
func TestCollectWaitsForPullInProgress(t *testing.T) {
	reg := newTestRegistry(t)
	first := layerOf(t, file{name: "first", body: "1"})
	second := layerOf(t, file{name: "second", body: "2"})
	reg.push(t, "slow:1", imageOf(t, v1.Config{}, first, second))
	blocked, _ := second.Digest()
	release := make(chan struct{})
	reg.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, blocked.String()) {
			<-release
		}
		return false
	})
	s := newRootStore(t)
	pulled := make(chan error, 1)
	go func() {
		_, err := s.Pull(reg.host+"/slow:1", PullOptions{})
		pulled <- err
	}()
	// Wait until the first layer is stored and the second is held back.
	firstID, _ := first.DiffID()
	for !s.hasLayer(firstID) {
		select {
		case err := <-pulled:
			t.Fatalf("pull ended early: %v", err)
		default:
		}
		runtime.Gosched()
	}
	collected := make(chan error, 1)
	go func() { collected <- s.Collect(nil) }()
	// Give a collection that does not wait every chance to run first.
	select {
	case err := <-collected:
		t.Logf("collection ran during the pull: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := <-pulled; err != nil {
		t.Fatal(err)
	}
	img, err := s.Get(reg.host + "/slow:1")
	if err != nil {
		t.Fatalf("the pulled image lost a layer to the collection: %v", err)
	}
	if len(img.Layers) != 2 {
		t.Fatalf("layers %v", img.Layers)
	}
}
