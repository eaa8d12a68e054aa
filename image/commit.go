//go:build !notransfer

package image

import (
	"encoding/json"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/pkg/errors"

	"mydocker/progress"
)

// CommitOptions describe the image `commit` makes.
type CommitOptions struct {
	Ref     string   // name for the new image; none makes an image known by ID
	Author  string   // -a
	Message string   // -m
	Changes []string // --change instructions
	// Progress, if set, shows the new layer being written.
	Progress *progress.Progress
}

// CommitLayer makes a new image: the image baseID's layers plus one more,
// the tar diff writes, with baseID's config as changed by o. It returns
// the new image's ID. The layer is stored and unpacked as it is written,
// in one pass.
func (s *Store) CommitLayer(baseID string, diff func(io.Writer) error, o CommitOptions) (string, error) {
	var names []Reference
	if o.Ref != "" {
		r, err := ParseReference(o.Ref)
		if err != nil {
			return "", err
		}
		if r.Tag == "" {
			return "", errors.Errorf("commit: %s: a digest cannot name a new image", o.Ref)
		}
		names = append(names, r)
	}
	hold, limit, err := s.beginWrite()
	if err != nil {
		return "", err
	}
	defer hold.Unlock()
	d, err := s.readDB()
	if err != nil {
		return "", err
	}
	base := d.byID(baseID)
	if base == nil {
		return "", errors.Errorf("the container's image %s was removed: nothing to commit onto", short(baseID))
	}
	cfg, err := s.configFile(base)
	if err != nil {
		return "", err
	}
	img, err := s.v1Image(base, nil)
	if err != nil {
		return "", err
	}
	m, err := img.Manifest()
	if err != nil {
		return "", errors.Wrap(err, "base manifest")
	}
	for _, c := range o.Changes {
		if err := ApplyChange(&cfg.Config, c); err != nil {
			return "", err
		}
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(diff(pw)) }()
	var in io.Reader = pr
	var bar *progress.Bar
	if o.Progress != nil {
		bar = o.Progress.Layer("container", 0, "Committing")
		in = bar.Proxy(pr)
	}
	l, err := s.storeLayer(in, v1.Hash{}, v1.Hash{}, limit)
	pr.CloseWithError(errors.New("commit stopped"))
	if bar != nil {
		if err != nil {
			bar.Abort(err)
		} else {
			bar.Done("Committed " + l.DiffID.Hex[:12])
		}
		o.Progress.Wait()
	}
	if err != nil {
		return "", errors.Wrap(err, "store the container's layer")
	}
	now := v1.Time{Time: time.Now().UTC()}
	cfg.Created = now
	cfg.Author = o.Author
	cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.DiffID)
	cfg.History = append(cfg.History, v1.History{Created: now, Author: o.Author, CreatedBy: "mydocker commit", Comment: o.Message})
	cfg.Container = ""
	raw, err := json.Marshal(cfg)
	if err != nil {
		return "", errors.Wrap(err, "encode image config")
	}
	layers := append(append([]v1.Descriptor{}, m.Layers...), l.descriptor())
	e, err := s.addManifest(raw, layers, map[v1.Hash]int64{l.DiffID: l.DiffSize}, importOptions{Names: names})
	if err != nil {
		return "", err
	}
	return e.ID, nil
}

// WriteBlogTar saves the image ref as <root>/image/<name>.tar, a
// docker-archive, when ref is a plain name:latest (the blog's layout:
// ch. 14 lists the file), and records the file as that image's so it is
// not read back in as a new one.
func (s *Store) WriteBlogTar(ref string) (string, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return "", err
	}
	n, ok := blogName(r)
	if !ok {
		return "", nil
	}
	e, _, err := s.find(ref)
	if err != nil {
		return "", err
	}
	f, err := s.Writer()
	if err != nil {
		return "", err
	}
	defer s.Discard(f)
	if err := s.Save(f, []string{r.Familiar()}, nil); err != nil {
		return "", err
	}
	if err := s.Commit(f, n); err != nil {
		return "", err
	}
	key, err := tarKey(n, s.TarPath(n))
	if err != nil {
		return "", err
	}
	return s.TarPath(n), s.updateDB(func(d *db) error {
		if cur := d.byID(e.ID); cur != nil {
			cur.Tar = key
		}
		return nil
	})
}
