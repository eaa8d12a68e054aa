//go:build !notransfer

package image

import (
	"bytes"
	"io"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/pkg/errors"

	"mydocker/progress"
)

// parallelLayers is how many layers are fetched and unpacked at once:
// enough to overlap network, decompression and disk on a small machine.
const parallelLayers = 3

// importOptions says how an image being stored is named and shown.
type importOptions struct {
	Names      []Reference
	RepoDigest string // repo@sha256:... the registry knows it by
	Tar        *tarSource
	Progress   *progress.Progress
	Verb       string // what a finished layer did: "Pull complete", "Loaded"
	onAdd      func(*imageEntry)
}

// importImage stores img's config, manifest and layers, unpacking each
// layer not stored yet, and then adds it to the index. Until then no name
// points at it, so an interrupted import changes no image; the layers it
// finished stay and the next attempt does not fetch them again.
func (s *Store) importImage(img v1.Image, o importOptions) (*imageEntry, error) {
	hold, limit, err := s.beginWrite()
	if err != nil {
		return nil, err
	}
	defer hold.Unlock()
	if o.Progress == nil {
		o.Progress = progress.New(io.Discard, false, true)
	}
	rawCfg, err := img.RawConfigFile()
	if err != nil {
		return nil, errors.Wrap(err, "read image config")
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(rawCfg))
	if err != nil {
		return nil, errors.Wrap(err, "parse image config")
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, errors.Wrap(err, "read manifest")
	}
	rawManifest, err := img.RawManifest()
	if err != nil {
		return nil, errors.Wrap(err, "read manifest")
	}
	if len(m.Layers) != len(cfg.RootFS.DiffIDs) {
		return nil, errors.Errorf("image has %d layers but its config lists %d", len(m.Layers), len(cfg.RootFS.DiffIDs))
	}
	if cfgDigest, err := s.writeBlob(rawCfg); err != nil {
		return nil, err
	} else if cfgDigest != m.Config.Digest {
		return nil, errors.Errorf("image config digest mismatch: got %s, want %s", cfgDigest, m.Config.Digest)
	}
	sizes, err := s.fetchLayers(img, m, cfg, limit, o)
	if err != nil {
		return nil, err
	}
	mDigest, err := s.writeBlob(rawManifest)
	if err != nil {
		return nil, err
	}
	e := &imageEntry{ID: m.Config.Digest.String(), Manifest: mDigest.String(), Created: cfg.Created.Time, Tar: o.Tar}
	for _, n := range o.Names {
		e.Names = append(e.Names, n.String())
	}
	if o.RepoDigest != "" {
		e.RepoDigests = []string{o.RepoDigest}
	}
	var added *imageEntry
	err = s.updateDB(func(d *db) error {
		for i, diffID := range cfg.RootFS.DiffIDs {
			if sizes[i] >= 0 {
				d.setLayerSize(diffID.String(), sizes[i])
			}
			e.Size += d.layerSize(diffID.String())
		}
		added = d.add(e)
		return nil
	})
	return added, err
}

// fetchLayers stores every layer of img not stored yet, a few at a time,
// and returns their unpacked sizes (-1 for one already stored).
func (s *Store) fetchLayers(img v1.Image, m *v1.Manifest, cfg *v1.ConfigFile, limit int64, o importOptions) ([]int64, error) {
	sizes := make([]int64, len(m.Layers))
	errs := make([]error, len(m.Layers))
	sem := make(chan struct{}, parallelLayers)
	var wg sync.WaitGroup
	for i, desc := range m.Layers {
		diffID := cfg.RootFS.DiffIDs[i]
		bar := o.Progress.Layer(desc.Digest.Hex[:12], desc.Size, "Downloading")
		if s.hasLayer(diffID) && s.hasBlob(desc.Digest) {
			sizes[i] = -1
			bar.Done("Already exists")
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			sizes[i], errs[i] = s.fetchLayer(img, desc, diffID, limit, bar)
			if errs[i] != nil {
				bar.Abort(errs[i])
				return
			}
			bar.Done(o.Verb)
		}()
	}
	wg.Wait()
	o.Progress.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, errors.Wrapf(err, "layer %d (%s)", i+1, m.Layers[i].Digest)
		}
	}
	return sizes, nil
}

func (s *Store) fetchLayer(img v1.Image, desc v1.Descriptor, diffID v1.Hash, limit int64, bar *progress.Bar) (int64, error) {
	l, err := img.LayerByDigest(desc.Digest)
	if err != nil {
		return 0, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	stored, err := s.storeLayer(bar.Proxy(rc), desc.Digest, diffID, limit)
	if err != nil {
		return 0, err
	}
	return stored.DiffSize, nil
}
