//go:build !notransfer

package image

import (
	"bytes"
	"encoding/json"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/pkg/errors"
)

// localImage is a stored image as ggcr sees it, so push and save read the
// blobs exactly as they were received: the same digests go out again.
type localImage struct {
	s        *Store
	manifest []byte
	// wrap, if set, sees every layer blob read (progress bars).
	wrap func(desc v1.Descriptor, r io.Reader) io.Reader
}

func (s *Store) v1Image(e *imageEntry, wrap func(v1.Descriptor, io.Reader) io.Reader) (v1.Image, error) {
	h, err := v1.NewHash(e.Manifest)
	if err != nil {
		return nil, errors.Wrapf(err, "image %s", e.ID)
	}
	m, err := s.readBlob(h)
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&localImage{s: s, manifest: m, wrap: wrap})
}

func (li *localImage) RawManifest() ([]byte, error) { return li.manifest, nil }

func (li *localImage) MediaType() (types.MediaType, error) {
	var m struct {
		MediaType types.MediaType `json:"mediaType"`
	}
	if err := json.Unmarshal(li.manifest, &m); err != nil {
		return "", errors.Wrap(err, "parse manifest")
	}
	if m.MediaType == "" {
		return types.OCIManifestSchema1, nil
	}
	return m.MediaType, nil
}

func (li *localImage) parsed() (*v1.Manifest, error) {
	m, err := v1.ParseManifest(bytes.NewReader(li.manifest))
	return m, errors.Wrap(err, "parse manifest")
}

func (li *localImage) RawConfigFile() ([]byte, error) {
	m, err := li.parsed()
	if err != nil {
		return nil, err
	}
	return li.s.readBlob(m.Config.Digest)
}

func (li *localImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	m, err := li.parsed()
	if err != nil {
		return nil, err
	}
	if h == m.Config.Digest {
		return &localBlob{li: li, desc: m.Config}, nil
	}
	for _, d := range m.Layers {
		if d.Digest == h {
			return &localBlob{li: li, desc: d}, nil
		}
	}
	return nil, errors.Errorf("blob %s is not in the image", h)
}

type localBlob struct {
	li   *localImage
	desc v1.Descriptor
}

func (b *localBlob) Digest() (v1.Hash, error)            { return b.desc.Digest, nil }
func (b *localBlob) Size() (int64, error)                { return b.desc.Size, nil }
func (b *localBlob) MediaType() (types.MediaType, error) { return b.desc.MediaType, nil }

func (b *localBlob) Compressed() (io.ReadCloser, error) {
	f, err := os.Open(b.li.s.BlobPath(b.desc.Digest))
	if err != nil {
		return nil, errors.Wrapf(err, "blob %s is missing from the store", b.desc.Digest)
	}
	if b.li.wrap == nil || b.desc.MediaType.IsConfig() {
		return f, nil
	}
	return readCloser{Reader: b.li.wrap(b.desc, f), Closer: f}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}
