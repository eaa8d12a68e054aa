package tests

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An image made here (commit with --change, -m, -a) survives save and
// load into another store, from a file, from stdin and gzip-compressed,
// and runs there with the same files and config.
func TestCommitSaveLoadRoundTrip(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "--name", "src", "busybox", "sh", "-c", "echo made-here > /made; rm /bin/vi")
	id := e.ok("commit", "-m", "a message", "-a", "Ann <ann@example.com>", "-c", `CMD ["cat", "/made"]`, "-c", "ENV STAGE=test", "src", "app:1")
	if !strings.HasPrefix(id, "sha256:") {
		t.Fatalf("commit printed %q, want the image ID", id)
	}
	archive := filepath.Join(t.TempDir(), "app.tar")
	e.ok("save", "-o", archive, "app:1")

	other := newEnv(t)
	out := other.ok("load", "-i", archive)
	if !strings.Contains(out, "Loaded image: app:1") {
		t.Fatalf("load printed %q", out)
	}
	if got := other.ok("images", "-q", "--no-trunc", "app:1"); got != id {
		t.Fatalf("loaded image ID %q, want %q", got, id)
	}
	if got := other.ok("run", "--rm", "app:1", "sh", "-c", "cat /made; echo $STAGE; ls /bin/vi 2>&1 || true"); !strings.Contains(got, "made-here\ntest") || !strings.Contains(got, "No such file") {
		t.Fatalf("loaded image: %q", got)
	}
	var insp []struct {
		ID       string   `json:"Id"`
		RepoTags []string `json:"RepoTags"`
		Author   string
		Comment  string
		Config   struct{ Cmd, Env []string }
		RootFS   struct{ Layers []string }
	}
	if err := json.Unmarshal([]byte(other.ok("image", "inspect", "app:1")), &insp); err != nil || len(insp) != 1 {
		t.Fatalf("image inspect: %v", err)
	}
	i := insp[0]
	if i.ID != id || i.RepoTags[0] != "app:1" || i.Author != "Ann <ann@example.com>" || i.Comment != "a message" ||
		strings.Join(i.Config.Cmd, " ") != "cat /made" || len(i.RootFS.Layers) != 2 || !strings.Contains(strings.Join(i.Config.Env, " "), "STAGE=test") {
		t.Fatalf("image inspect: %+v", i)
	}
	hist := other.ok("history", "app:1")
	if lines := strings.Split(hist, "\n"); len(lines) != 3 || !strings.Contains(lines[1], "a message") {
		t.Fatalf("history:\n%s", hist)
	}

	// stdin, and gzip-compressed.
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	for _, in := range [][]byte{data, gz.Bytes()} {
		third := newEnv(t)
		r := third.runIn(in, 0, "load")
		if !strings.Contains(r.stdout, "Loaded image: app:1") {
			t.Fatalf("load from stdin: %q", r.stdout)
		}
		if got := third.ok("run", "--rm", "app:1", "cat", "/made"); got != "made-here" {
			t.Fatalf("loaded from stdin: %q", got)
		}
	}
}

// images shows Docker's columns and formats; tag adds a name; rmi of one
// name only untags while others remain, and an image with several names
// is deleted by ID only with -f.
func TestImagesTagRmi(t *testing.T) {
	e := newEnv(t)
	out := e.ok("images")
	if lines := strings.Split(out, "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "REPOSITORY") || !strings.Contains(lines[0], "IMAGE ID") || !strings.HasPrefix(lines[1], "busybox ") {
		t.Fatalf("images:\n%s", out)
	}
	id := e.ok("images", "-q")
	if len(id) != 12 {
		t.Fatalf("images -q: %q", id)
	}
	e.ok("tag", "busybox", "localhost:5000/team/bb:v1")
	e.ok("tag", id, "second")
	if got := e.ok("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"); !strings.Contains(got, "localhost:5000/team/bb:v1 "+id) || !strings.Contains(got, "second:latest "+id) {
		t.Fatalf("images --format:\n%s", got)
	}
	for _, line := range strings.Split(e.ok("images", "--format", "json"), "\n") {
		var row map[string]string
		if err := json.Unmarshal([]byte(line), &row); err != nil || row["ID"] != id || row["Repository"] == "" || row["Tag"] == "" {
			t.Fatalf("images --format json line %q: %v", line, err)
		}
	}
	if got := e.ok("images", "-q"); got != id {
		t.Fatalf("images -q lists an image once per ID: %q", got)
	}
	oneLineError(t, e.run(125, "tag", "nosuch", "x"), "nosuch")
	oneLineError(t, e.run(125, "tag", "busybox", "Bad:Name"), "invalid reference format")
	if got := e.ok("rmi", "second"); got != "Untagged: second:latest" {
		t.Fatalf("rmi of one name: %q", got)
	}
	r := e.run(125, "rmi", id)
	oneLineError(t, r, "must be forced")
	e.ok("run", "--rm", "localhost:5000/team/bb:v1", "true")
	got := e.ok("rmi", "-f", id)
	if !strings.Contains(got, "Untagged: busybox:latest") || !strings.Contains(got, "Deleted: sha256:"+id) {
		t.Fatalf("rmi -f by ID: %q", got)
	}
	if l := e.layers(); len(l) != 0 {
		t.Fatalf("layers left once no image uses them: %v", l)
	}
	if _, err := os.Stat(filepath.Join(e.root, "image", "busybox.tar")); !os.IsNotExist(err) {
		t.Fatalf("the blog tar of a removed image stays, and would come back: %v", err)
	}
}

// A tar placed in <root>/image by hand is the image NAME:latest (the
// blog's layout), plain or gzip; replacing the file replaces the image.
func TestBlogTarIsAnImage(t *testing.T) {
	e := newEnv(t)
	in := writeTar(t, true, &tar.Header{Name: "version", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
	data, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	placed := filepath.Join(e.root, "image", "placed.tar")
	if err := os.WriteFile(placed, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := e.ok("run", "--rm", "placed", "wc", "-c", "/version"); !strings.HasPrefix(got, "1 ") {
		t.Fatalf("gzip blog tar: %q", got)
	}
	if !strings.Contains(e.ok("images"), "placed ") {
		t.Fatal("images does not list the blog tar")
	}
	copyFile(t, busyboxTar(t), placed+".new")
	if err := os.Rename(placed+".new", placed); err != nil {
		t.Fatal(err)
	}
	e.run(1, "run", "--rm", "placed", "cat", "/version")
	if got := e.ok("images", "--format", "{{.Repository}}"); strings.Count(got, "placed") != 1 {
		t.Fatalf("a replaced tar is listed more than once:\n%s", got)
	}
}

// Bad archives and unreachable registries fail in one line with 125,
// leave nothing half-written, and earlier images untouched.
func TestBadImageInputLeavesNothing(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "--name", "src", "busybox", "sh", "-c", "echo x > /x")
	e.ok("commit", "src", "good")
	archive := filepath.Join(t.TempDir(), "good.tar")
	e.ok("save", "-o", archive, "good")
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	before := e.ok("images", "-q", "--no-trunc")
	layersBefore := len(e.layers())
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// An archive whose layer does not match the config's diff ID.
	tampered := rewriteTar(t, data, func(h *tar.Header, body []byte) []byte {
		if strings.HasSuffix(h.Name, ".tar") && bytes.Contains(body, []byte("x\n")) {
			return bytes.Replace(body, []byte("x\n"), []byte("y\n"), 1)
		}
		return body
	})
	// One whose manifest lists a layer file the archive lacks.
	missing := rewriteTar(t, data, func(h *tar.Header, body []byte) []byte {
		if h.Name == "manifest.json" {
			return bytes.Replace(body, []byte(`.tar"]`), []byte(`.tar", "../../etc/passwd"]`), 1)
		}
		return body
	})
	cases := map[string][]string{
		"truncated":     {"load", "-i", write("truncated.tar", data[:len(data)/2])},
		"garbage":       {"load", "-i", write("garbage.tar", bytes.Repeat([]byte("garbage\n"), 5000))},
		"tampered":      {"load", "-i", write("tampered.tar", tampered)},
		"missing layer": {"load", "-i", write("missing.tar", missing)},
		"no registry":   {"pull", "127.0.0.1:1/nothing/here:1"},
		"bad reference": {"pull", "UPPER/case"},
		"unknown image": {"save", "-o", filepath.Join(dir, "out.tar"), "nosuchimage"},
		"bad push":      {"push", "127.0.0.1:1/good:latest"},
	}
	for name, args := range cases {
		r := e.run(125, args...)
		if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || r.stderr == "" {
			t.Errorf("%s: error is not one line: %q", name, r.stderr)
		}
		if left := e.temporaries(); len(left) > 0 {
			t.Errorf("%s: temporaries left: %v", name, left)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out.tar")); !os.IsNotExist(err) {
		t.Errorf("a failed save left its output: %v", err)
	}
	if after := e.ok("images", "-q", "--no-trunc"); after != before {
		t.Fatalf("images changed by failed loads:\n%s\nwas\n%s", after, before)
	}
	if n := len(e.layers()); n != layersBefore {
		t.Fatalf("%d layers after failed loads, %d before", n, layersBefore)
	}
	if got := e.ok("run", "--rm", "good", "cat", "/x"); got != "x" {
		t.Fatalf("earlier image damaged: %q", got)
	}
}

// rewriteTar copies a tar, passing each regular file's body through fn.
func rewriteTar(t *testing.T, data []byte, fn func(*tar.Header, []byte) []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		var body bytes.Buffer
		body.ReadFrom(tr)
		b := body.Bytes()
		if h.Typeflag == tar.TypeReg {
			b = fn(h, b)
			h.Size = int64(len(b))
		}
		tw.WriteHeader(h)
		tw.Write(b)
	}
	tw.Close()
	return out.Bytes()
}

// save of an image named by its ID, in any of Docker's spellings (a
// prefix, the hex, sha256:hex), writes no tag, as docker save does: load
// then gives back an untagged image, not one named after its ID.
func TestSaveByIDWritesNoTag(t *testing.T) {
	e := newEnv(t)
	id := e.ok("images", "-q", "--no-trunc", "busybox")
	for _, ref := range []string{id, strings.TrimPrefix(id, "sha256:"), strings.TrimPrefix(id, "sha256:")[:12]} {
		archive := filepath.Join(t.TempDir(), "byid.tar")
		e.ok("save", "-o", archive, ref)
		var manifest []struct{ RepoTags []string }
		if err := json.Unmarshal(readInTar(t, archive, "manifest.json"), &manifest); err != nil || len(manifest) != 1 {
			t.Fatalf("save %s: manifest.json: %v", ref, err)
		}
		if len(manifest[0].RepoTags) != 0 {
			t.Fatalf("save %s wrote RepoTags %q, want none", ref, manifest[0].RepoTags)
		}
		other := newEnv(t)
		if out := other.ok("load", "-i", archive); !strings.Contains(out, "Loaded image ID: "+id) {
			t.Fatalf("load of save %s printed %q", ref, out)
		}
		// The new store has only busybox (by its name) besides.
		if got := other.ok("images", "--format", "{{.Repository}}:{{.Tag}}"); got != "<none>:<none>\nbusybox:latest" {
			t.Fatalf("load of save %s listed %q", ref, got)
		}
	}
}
