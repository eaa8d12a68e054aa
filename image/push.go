//go:build !notransfer

package image

import (
	"context"
	"io"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/pkg/errors"

	"mydocker/progress"
)

// Push uploads the image ref names to the registry in ref, blobs exactly
// as stored, so its digest there is its digest here. It returns the
// manifest digest.
func (s *Store) Push(ref string, o PullOptions) (string, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return "", err
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	e, _, err := s.find(ref)
	if err != nil {
		return "", err
	}
	prog := progress.New(o.Out, o.TTY, o.Quiet)
	prog.Println("The push refers to repository [%s]", r.Repo())
	bars := map[v1.Hash]*progress.Bar{}
	// go-containerregistry opens a layer only to upload it: one never
	// opened was already in the registry.
	var mu sync.Mutex
	sent := map[v1.Hash]bool{}
	img, err := s.v1Image(e, func(d v1.Descriptor, rd io.Reader) io.Reader {
		mu.Lock()
		sent[d.Digest] = true
		mu.Unlock()
		return bars[d.Digest].Proxy(rd)
	})
	if err != nil {
		return "", err
	}
	m, err := img.Manifest()
	if err != nil {
		return "", errors.Wrap(err, "read manifest")
	}
	for _, l := range m.Layers {
		bars[l.Digest] = prog.Layer(l.Digest.Hex[:12], l.Size, "Pushing")
	}
	nref, err := r.name(o.Insecure)
	if err != nil {
		return "", err
	}
	opts, err := o.remoteOptions(context.Background(), r.Registry)
	if err != nil {
		return "", err
	}
	if err := remote.Write(nref, img, opts...); err != nil {
		for _, b := range bars {
			b.Abort(err)
		}
		prog.Wait()
		return "", registryError("push", r, err)
	}
	for _, l := range m.Layers {
		if sent[l.Digest] {
			bars[l.Digest].Done("Pushed")
		} else {
			bars[l.Digest].Done("Layer already exists")
		}
	}
	prog.Wait()
	digest, err := img.Digest()
	if err != nil {
		return "", errors.Wrap(err, "manifest digest")
	}
	size, _ := img.Size()
	tag := r.Tag
	if tag == "" {
		tag = r.Digest
	}
	prog.Println("%s: digest: %s size: %d", tag, digest, size)
	err = s.updateDB(func(d *db) error {
		if cur := d.byID(e.ID); cur != nil {
			rd := r.Repo() + "@" + digest.String()
			for _, x := range cur.RepoDigests {
				if x == rd {
					return nil
				}
			}
			cur.RepoDigests = append(cur.RepoDigests, rd)
		}
		return nil
	})
	return digest.String(), err
}
