package image

import (
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Inspect is `image inspect`'s view of an image, with Docker's field names.
type Inspect struct {
	ID           string    `json:"Id"`
	RepoTags     []string  `json:"RepoTags"`
	RepoDigests  []string  `json:"RepoDigests"`
	Parent       string    `json:"Parent"`
	Comment      string    `json:"Comment"`
	Created      time.Time `json:"Created"`
	Author       string    `json:"Author"`
	Config       v1.Config `json:"Config"`
	Architecture string    `json:"Architecture"`
	Variant      string    `json:"Variant,omitempty"`
	Os           string    `json:"Os"`
	Size         int64     `json:"Size"`
	RootFS       struct {
		Type   string   `json:"Type"`
		Layers []string `json:"Layers"`
	} `json:"RootFS"`
}

// Inspect describes img as `docker image inspect` does.
func (s *Store) Inspect(img *Image) *Inspect {
	f := img.File
	out := &Inspect{ID: img.ID, RepoTags: img.Entry.Names, RepoDigests: img.Entry.RepoDigests,
		Created: f.Created.Time, Author: f.Author, Config: f.Config, Architecture: f.Architecture,
		Variant: f.Variant, Os: f.OS, Size: img.Entry.Size}
	if out.RepoTags == nil {
		out.RepoTags = []string{}
	}
	if out.RepoDigests == nil {
		out.RepoDigests = []string{}
	}
	if n := len(f.History); n > 0 {
		out.Comment = f.History[n-1].Comment
	}
	out.RootFS.Type = "layers"
	for _, d := range f.RootFS.DiffIDs {
		out.RootFS.Layers = append(out.RootFS.Layers, d.String())
	}
	return out
}

// HistoryRow is one line of `history`.
type HistoryRow struct {
	ID        string // the image's ID on the newest row, <missing> below, as Docker shows
	Created   time.Time
	CreatedBy string
	Size      int64
	Comment   string
}

// History lists how img's layers were made, newest first. A config with
// no history gets one row per layer.
func (s *Store) History(img *Image) ([]HistoryRow, error) {
	d, err := s.readDB()
	if err != nil {
		return nil, err
	}
	f := img.File
	var rows []HistoryRow
	layer := 0
	hist := f.History
	if len(hist) == 0 {
		for range f.RootFS.DiffIDs {
			hist = append(hist, v1.History{Created: f.Created})
		}
	}
	for _, h := range hist {
		r := HistoryRow{ID: "<missing>", Created: h.Created.Time, CreatedBy: h.CreatedBy, Comment: h.Comment}
		if !h.EmptyLayer && layer < len(f.RootFS.DiffIDs) {
			r.Size = d.layerSize(f.RootFS.DiffIDs[layer].String())
			layer++
		}
		rows = append([]HistoryRow{r}, rows...)
	}
	if len(rows) > 0 {
		rows[0].ID = img.ID
	}
	return rows, nil
}

// Id is {{.Id}}, the spelling of Docker's JSON, which templates use as
// often as the Go field's {{.ID}}.
func (v *Inspect) Id() string { return v.ID } //nolint:revive // Docker's spelling
