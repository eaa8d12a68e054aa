//go:build !notransfer

package image

import (
	"archive/tar"
	"bufio"
	"encoding/json"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/pkg/errors"

	"mydocker/progress"
)

// archiveKind tells what an archive holds from its top-level files: a
// docker-archive (what docker save and podman save write) has
// manifest.json, an OCI image layout has oci-layout and index.json.
func archiveKind(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", errors.Wrap(err, "open archive")
	}
	defer f.Close()
	tr := tar.NewReader(f) // f seeks: file contents are skipped, not read
	seen := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", errors.Wrap(err, "not a tar archive")
		}
		seen[path.Clean(strings.TrimPrefix(hdr.Name, "./"))] = true
	}
	switch {
	case seen["manifest.json"]:
		return "docker", nil
	case seen["oci-layout"] && seen["index.json"]:
		return "oci", nil
	}
	return "", nil
}

// isArchive reports whether a blog tar is an image archive, not a rootfs.
func isArchive(file string) bool {
	// Only a regular file is scanned ahead: reading a FIFO or device
	// would consume what the rootfs import then needs.
	if st, err := os.Stat(file); err != nil || !st.Mode().IsRegular() {
		return false
	}
	k, err := archiveKind(file)
	return err == nil && k != ""
}

// openInArchive opens the file called name in a tar archive, following
// symbolic links inside the archive, as docker save writes for layers
// shared between images.
func openInArchive(file, name string) (io.ReadCloser, error) {
	for depth := 0; depth < 16; depth++ {
		f, err := os.Open(file)
		if err != nil {
			return nil, errors.Wrap(err, "open archive")
		}
		tr := tar.NewReader(f)
		var link string
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				f.Close()
				return nil, errors.Errorf("archive has no file %s", name)
			}
			if err != nil {
				f.Close()
				return nil, errors.Wrap(err, "read archive")
			}
			if path.Clean(strings.TrimPrefix(hdr.Name, "./")) != path.Clean(name) {
				continue
			}
			if hdr.Typeflag == tar.TypeSymlink {
				link = path.Join(path.Dir(name), hdr.Linkname)
				break
			}
			if hdr.Typeflag != tar.TypeReg {
				f.Close()
				return nil, errors.Errorf("%s in the archive is not a file", name)
			}
			return readCloser{Reader: tr, Closer: f}, nil
		}
		f.Close()
		name = link
	}
	return nil, errors.Errorf("%s: too many links in the archive", name)
}

func readInArchive(file, name string, max int64) ([]byte, error) {
	rc, err := openInArchive(file, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, errors.Wrapf(err, "read %s", name)
	}
	if int64(len(b)) > max {
		return nil, errors.Errorf("%s in the archive is too large", name)
	}
	return b, nil
}

// maxMetadata bounds the JSON files read whole from an archive.
const maxMetadata = 8 << 20

// LoadOptions says how a load is shown.
type LoadOptions struct {
	Progress *progress.Progress
}

// Load reads images from a docker-archive or an OCI archive (plain or
// compressed) on r, or an OCI layout directory at dir, and returns the
// names loaded (image IDs for images without a name).
func (s *Store) Load(input string, r io.Reader, o LoadOptions) ([]string, error) {
	s.sweep()
	if o.Progress == nil {
		o.Progress = progress.New(io.Discard, false, true)
	}
	if input != "" {
		if st, err := os.Stat(input); err == nil && st.IsDir() {
			return s.loadLayout(input, o)
		}
	}
	file, cleanup, err := s.spool(r)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	kind, err := archiveKind(file)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "docker":
		return s.loadDocker(file, importOptions{Progress: o.Progress, Verb: "Loaded"}, true)
	case "oci":
		dir, err := s.tempDir()
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		f, err := os.Open(file)
		if err != nil {
			return nil, errors.Wrap(err, "open archive")
		}
		defer f.Close()
		limit, err := s.maxSize()
		if err != nil {
			return nil, err
		}
		if err := Unpack(f, dir, limit); err != nil {
			return nil, errors.Wrap(err, "unpack OCI archive")
		}
		return s.loadLayout(dir, o)
	}
	return nil, errors.New("not an image archive: no manifest.json (docker-archive) or oci-layout (OCI)")
}

// spool gives the archive on r as an uncompressed file in the store, so it
// can be read more than once: a docker-archive's manifest.json usually
// comes last. A plain file given as r is used where it is.
func (s *Store) spool(r io.Reader) (string, func(), error) {
	br := bufio.NewReaderSize(r, 1<<20)
	raw, kind, err := decompress(br)
	if err != nil {
		return "", nil, err
	}
	if f, ok := r.(*os.File); ok && kind == "" {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			return f.Name(), func() {}, nil
		}
	}
	w, err := s.newBlobWriter()
	if err != nil {
		return "", nil, err
	}
	if _, err := io.Copy(w, raw); err != nil {
		w.Close()
		return "", nil, errors.Wrap(err, "read archive")
	}
	return w.f.Name(), func() { w.Close() }, nil
}

func (s *Store) tempDir() (string, error) {
	if err := os.MkdirAll(s.blobDir(), 0o700); err != nil {
		return "", errors.Wrap(err, "create blob dir")
	}
	name, err := tempName(blobPrefix)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(s.blobDir(), name)
	return dir, errors.Wrap(os.Mkdir(dir, 0o700), "create temp dir")
}

// loadFile reads a blog tar that is a docker-archive as the single image o names.
func (s *Store) loadFile(file string, o importOptions) (*imageEntry, error) {
	var added *imageEntry
	o.onAdd = func(e *imageEntry) { added = e }
	_, err := s.loadDocker(file, o, false)
	return added, err
}

// loadDocker stores the images of a docker-archive. With archiveNames the
// images get the names the archive gives (RepoTags); otherwise the first
// image gets o.Names.
func (s *Store) loadDocker(file string, o importOptions, archiveNames bool) ([]string, error) {
	if o.Progress == nil {
		o.Progress = progress.New(io.Discard, false, true)
	}
	hold, limit, err := s.beginWrite()
	if err != nil {
		return nil, err
	}
	defer hold.Unlock()
	raw, err := readInArchive(file, "manifest.json", maxMetadata)
	if err != nil {
		return nil, err
	}
	var m tarball.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errors.Wrap(err, "docker-archive manifest.json is not valid")
	}
	if len(m) == 0 {
		return nil, errors.New("docker-archive lists no images")
	}
	if !archiveNames {
		m = m[:1]
	}
	var loaded []string
	// Images in one archive share layer files: each is read once.
	stored := map[string]storedLayer{}
	for _, desc := range m {
		rawCfg, err := readInArchive(file, desc.Config, maxMetadata)
		if err != nil {
			return nil, err
		}
		cfg, err := v1.ParseConfigFile(strings.NewReader(string(rawCfg)))
		if err != nil {
			return nil, errors.Wrap(err, "image config in the archive is not valid")
		}
		if len(cfg.RootFS.DiffIDs) != len(desc.Layers) {
			return nil, errors.Errorf("archive lists %d layers, the image config %d", len(desc.Layers), len(cfg.RootFS.DiffIDs))
		}
		var layers []v1.Descriptor
		sizes := map[v1.Hash]int64{}
		for i, lf := range desc.Layers {
			l, ok := stored[lf]
			if !ok || l.DiffID != cfg.RootFS.DiffIDs[i] {
				bar := o.Progress.Layer(cfg.RootFS.DiffIDs[i].Hex[:12], 0, "Loading layer")
				if l, err = s.loadLayer(file, lf, cfg.RootFS.DiffIDs[i], limit, bar); err != nil {
					bar.Abort(err)
					return nil, errors.Wrapf(err, "layer %s", lf)
				}
				bar.Done(o.Verb)
				stored[lf] = l
			}
			layers = append(layers, l.descriptor())
			sizes[l.DiffID] = l.DiffSize
		}
		io := o
		if archiveNames {
			io.Names = nil
			for _, t := range desc.RepoTags {
				r, err := ParseReference(t)
				if err != nil {
					return nil, errors.Wrapf(err, "archive tag")
				}
				io.Names = append(io.Names, r)
			}
		}
		e, err := s.addManifest(rawCfg, layers, sizes, io)
		if err != nil {
			return nil, err
		}
		if o.onAdd != nil {
			o.onAdd(e)
		}
		if len(io.Names) == 0 {
			loaded = append(loaded, " ID: "+e.ID)
		}
		for _, n := range io.Names {
			loaded = append(loaded, ": "+n.Familiar())
		}
	}
	return loaded, nil
}

func (s *Store) loadLayer(file, name string, diffID v1.Hash, limit int64, bar *progress.Bar) (storedLayer, error) {
	rc, err := openInArchive(file, name)
	if err != nil {
		return storedLayer{}, err
	}
	defer rc.Close()
	return s.storeLayer(bar.Proxy(rc), v1.Hash{}, diffID, limit)
}

// refNameAnnotation names an image in an OCI layout's index.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// containerdNameAnnotation is the full name Docker and containerd write.
const containerdNameAnnotation = "io.containerd.image.name"

// loadLayout stores the images an OCI layout's index lists, each named by
// its ref.name annotation (a full reference, or a bare tag as skopeo
// writes for oci:DIR:TAG); an index in it resolves to this platform.
func (s *Store) loadLayout(dir string, o LoadOptions) ([]string, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, errors.Wrap(err, "read OCI layout")
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, errors.Wrap(err, "read OCI index")
	}
	plat, err := Platform("")
	if err != nil {
		return nil, err
	}
	var loaded []string
	for _, desc := range im.Manifests {
		var img v1.Image
		switch {
		case desc.MediaType.IsImage():
			img, err = idx.Image(desc.Digest)
		case desc.MediaType.IsIndex():
			img, err = imageForPlatform(idx, desc.Digest, plat)
		default:
			continue
		}
		if err != nil {
			return nil, errors.Wrapf(err, "image %s in the layout", desc.Digest)
		}
		var names []Reference
		n := desc.Annotations[containerdNameAnnotation]
		if n == "" {
			n = desc.Annotations[refNameAnnotation]
		}
		// A bare tag (skopeo's oci:DIR:TAG) names no repository: the
		// image is loaded by ID, as Docker does.
		if n != "" && strings.ContainsAny(n, "/:@") {
			r, err := ParseReference(n)
			if err != nil {
				return nil, errors.Wrap(err, "image name in the layout")
			}
			names = append(names, r)
		}
		e, err := s.importImage(img, importOptions{Names: names, Progress: o.Progress, Verb: "Loaded"})
		if err != nil {
			return nil, err
		}
		if len(names) == 0 {
			loaded = append(loaded, " ID: "+e.ID)
		}
		for _, n := range names {
			loaded = append(loaded, ": "+n.Familiar())
		}
	}
	if len(loaded) == 0 {
		return nil, errors.New("the OCI layout lists no images")
	}
	return loaded, nil
}

func imageForPlatform(idx v1.ImageIndex, h v1.Hash, plat v1.Platform) (v1.Image, error) {
	child, err := idx.ImageIndex(h)
	if err != nil {
		return nil, err
	}
	im, err := child.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.OS == plat.OS && d.Platform.Architecture == plat.Architecture && d.MediaType.IsImage() {
			return child.Image(d.Digest)
		}
	}
	return nil, errors.Errorf("no image for %s/%s in the index", plat.OS, plat.Architecture)
}

// Save writes the images refs name as one docker-archive, which docker
// load and podman load read. Images named by ID are saved without a tag.
func (s *Store) Save(w io.Writer, refs []string, prog *progress.Progress) error {
	s.sweep()
	images := map[name.Reference]v1.Image{}
	var bars []*progress.Bar
	for _, ref := range refs {
		e, shown, err := s.find(ref)
		if err != nil {
			return err
		}
		var wrap func(v1.Descriptor, io.Reader) io.Reader
		if prog != nil {
			wrap = func(d v1.Descriptor, r io.Reader) io.Reader {
				bar := prog.Layer(d.Digest.Hex[:12], d.Size, "Writing")
				bars = append(bars, bar)
				return bar.Proxy(r)
			}
		}
		img, err := s.v1Image(e, wrap)
		if err != nil {
			return err
		}
		var nref name.Reference
		if r, err := ParseReference(shown); err == nil && r.Tag != "" && slices.Contains(e.Names, r.String()) {
			nref, err = name.NewTag(r.Familiar())
			if err != nil {
				return errors.Wrapf(err, "tag %s", shown)
			}
		} else {
			nref, err = name.NewDigest("image@" + e.ID)
			if err != nil {
				return errors.Wrapf(err, "image %s", shown)
			}
		}
		images[nref] = img
	}
	if err := tarball.MultiRefWrite(images, w); err != nil {
		for _, b := range bars {
			b.Abort(err)
		}
		return errors.Wrap(err, "write archive")
	}
	for _, b := range bars {
		b.Done("Written")
	}
	return nil
}
