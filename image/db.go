package image

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/pkg/errors"

	"mydocker/utils"
)

// imageEntry is one image in the index: Docker's image ID (the config digest),
// the manifest that lists its blobs, and the names it goes by.
type imageEntry struct {
	ID          string    `json:"id"`       // sha256:<hex of the config>
	Manifest    string    `json:"manifest"` // sha256:<hex of the manifest blob>
	Names       []string  `json:"names,omitempty"`
	RepoDigests []string  `json:"digests,omitempty"`
	Created     time.Time `json:"created"`
	Size        int64     `json:"size"` // the layers' unpacked tar sizes, as Docker counts
	// Tar is set for an image read from <root>/image/<name>.tar: the tar's
	// identity when read, so a tar replaced by hand is read again.
	Tar *tarSource `json:"tar,omitempty"`
}

// tarSource is what the index remembers of a blog image tar.
type tarSource struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	MtimeN int64  `json:"mtime_ns"`
	Ino    uint64 `json:"ino"`
}

// db is <root>/imagedb/images.json, read and written whole under its lock.
type db struct {
	Images []*imageEntry `json:"images"`
	// Layers is the unpacked tar size of each stored layer, by diff ID.
	Layers map[string]int64 `json:"layers,omitempty"`
}

func (s *Store) dbDir() string { return filepath.Join(s.layout.Root, "imagedb") }

// readDB reads the index; a missing one is empty.
func (s *Store) readDB() (*db, error) {
	data, err := os.ReadFile(filepath.Join(s.dbDir(), "images.json"))
	if os.IsNotExist(err) {
		return &db{}, nil
	}
	if err != nil {
		return nil, errors.Wrap(err, "read image index")
	}
	var d db
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, errors.Wrap(err, "image index is corrupt")
	}
	return &d, nil
}

// updateDB runs fn on the index under its lock and writes the result
// atomically if fn succeeds.
func (s *Store) updateDB(fn func(*db) error) error {
	lock, err := utils.Lock(filepath.Join(s.dbDir(), "lock"))
	if err != nil {
		return err
	}
	defer lock.Unlock()
	d, err := s.readDB()
	if err != nil {
		return err
	}
	if err := fn(d); err != nil {
		return err
	}
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return errors.Wrap(err, "encode image index")
	}
	return utils.WriteFileAtomic(filepath.Join(s.dbDir(), "images.json"), data, 0o600)
}

// holdLayers keeps garbage collection away while an image's blobs and
// layers are written but not yet in the index. Many writers hold it at
// once; collect takes it alone.
func (s *Store) holdLayers() (*utils.FileLock, error) {
	return utils.RLock(filepath.Join(s.dbDir(), "gc.lock"))
}

// beginWrite holds collection off for an image being stored and gives the
// bound on what it may unpack to.
func (s *Store) beginWrite() (*utils.FileLock, int64, error) {
	limit, err := s.maxSize()
	if err != nil {
		return nil, 0, err
	}
	hold, err := s.holdLayers()
	return hold, limit, err
}

func (s *Store) lockGC() (*utils.FileLock, error) {
	return utils.Lock(filepath.Join(s.dbDir(), "gc.lock"))
}

// byID finds the entry with image ID id.
func (d *db) byID(id string) *imageEntry {
	for _, e := range d.Images {
		if e.ID == id {
			return e
		}
	}
	return nil
}

// byName finds the entry a canonical name (tag or repo@digest) points to.
func (d *db) byName(canon string) *imageEntry {
	for _, e := range d.Images {
		if slices.Contains(e.Names, canon) || slices.Contains(e.RepoDigests, canon) {
			return e
		}
	}
	return nil
}

// untag removes a name from whichever image has it. An image that loses
// its last name that way, by a pull, load, tag or commit giving the name to
// another, is dropped, unless it is still known by digest: Docker keeps it
// as <none>:<none>, but nothing could refer to it here but its ID, and
// its layers stay while a container uses them.
func (d *db) untag(canon string) {
	d.Images = slices.DeleteFunc(d.Images, func(e *imageEntry) bool {
		had := len(e.Names) > 0
		e.Names = slices.DeleteFunc(e.Names, func(n string) bool { return n == canon })
		return had && len(e.Names) == 0 && len(e.RepoDigests) == 0
	})
}

// add records e, merging with an entry of the same ID, and moves its names
// to it from any other image (a tag names one image).
func (d *db) add(e *imageEntry) *imageEntry {
	for _, n := range e.Names {
		d.untag(n)
	}
	if old := d.byID(e.ID); old != nil {
		for _, n := range e.Names {
			old.Names = append(old.Names, n)
		}
		for _, n := range e.RepoDigests {
			if !slices.Contains(old.RepoDigests, n) {
				old.RepoDigests = append(old.RepoDigests, n)
			}
		}
		if e.Tar != nil {
			old.Tar = e.Tar
		}
		return old
	}
	d.Images = append(d.Images, e)
	return e
}

// setLayerSize and layerSize keep the unpacked size of each layer, so an
// image that shares a stored layer knows its size without unpacking it.
func (d *db) setLayerSize(diffID string, n int64) {
	if d.Layers == nil {
		d.Layers = map[string]int64{}
	}
	d.Layers[diffID] = n
}

func (d *db) layerSize(diffID string) int64 { return d.Layers[diffID] }
