//go:build !notransfer

package image

import (
	"bytes"
	"encoding/json"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/pkg/errors"
)

// layerMediaType is the Docker media type of a layer blob compressed with kind.
func layerMediaType(kind string) types.MediaType {
	switch kind {
	case "gzip":
		return types.DockerLayer
	case "zstd":
		return types.OCILayerZStd
	}
	return types.DockerUncompressedLayer
}

func (l storedLayer) descriptor() v1.Descriptor {
	return v1.Descriptor{MediaType: layerMediaType(l.Compressed), Size: l.Size, Digest: l.Digest}
}

// addManifest stores rawCfg and a Docker schema 2 manifest listing layers,
// and indexes the image. It is how images made here (import, commit, a
// docker-archive, which has no manifest of its own) enter the store;
// pulled images keep the registry's manifest.
func (s *Store) addManifest(rawCfg []byte, layers []v1.Descriptor, diffSizes map[v1.Hash]int64, o importOptions) (*imageEntry, error) {
	cfg, err := v1.ParseConfigFile(bytes.NewReader(rawCfg))
	if err != nil {
		return nil, errors.Wrap(err, "parse image config")
	}
	if len(cfg.RootFS.DiffIDs) != len(layers) {
		return nil, errors.Errorf("image config lists %d layers, the image has %d", len(cfg.RootFS.DiffIDs), len(layers))
	}
	cfgDigest, err := s.writeBlob(rawCfg)
	if err != nil {
		return nil, err
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.DockerManifestSchema2,
		Config:        v1.Descriptor{MediaType: types.DockerConfigJSON, Size: int64(len(rawCfg)), Digest: cfgDigest},
		Layers:        layers,
	}
	rawManifest, err := json.Marshal(m)
	if err != nil {
		return nil, errors.Wrap(err, "encode manifest")
	}
	mDigest, err := s.writeBlob(rawManifest)
	if err != nil {
		return nil, err
	}
	e := &imageEntry{ID: cfgDigest.String(), Manifest: mDigest.String(), Created: cfg.Created.Time, Tar: o.Tar}
	for _, n := range o.Names {
		e.Names = append(e.Names, n.String())
	}
	var added *imageEntry
	err = s.updateDB(func(d *db) error {
		for _, diffID := range cfg.RootFS.DiffIDs {
			if n, ok := diffSizes[diffID]; ok {
				d.setLayerSize(diffID.String(), n)
			}
			e.Size += d.layerSize(diffID.String())
		}
		added = d.add(e)
		return nil
	})
	return added, err
}
