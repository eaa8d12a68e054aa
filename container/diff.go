package container

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// Change is one line of diff: Kind is A (added), C (changed) or D
// (deleted), Path is absolute in the container.
type Change struct {
	Kind string
	Path string
}

// Diff lists what container id changed in its filesystem, from its
// writable layer alone, as Docker's diff does: an overlayfs whiteout (a
// 0:0 character device) is a deleted path; anything else is added if no
// image layer has it, else changed. An opaque directory (the container
// removed it and made it again) also deletes what the layers had in it.
// Nothing is followed: the writable layer is the container's to fill
// with symlinks.
func (s *Store) Diff(id string) ([]Change, error) {
	rec, err := s.Load(id)
	if err != nil {
		return nil, err
	}
	upper := Workspace{Dir: s.WorkspaceDir(id)}.Upper()
	var out []Change
	err = filepath.WalkDir(upper, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == upper && errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipAll // never started: no changes
			}
			return err
		}
		if path == upper {
			return nil
		}
		rel := strings.TrimPrefix(path, upper)
		var st unix.Stat_t
		if err := unix.Lstat(path, &st); err != nil {
			return errors.Wrapf(err, "diff %s", rel)
		}
		if isWhiteout(&st) {
			out = append(out, Change{Kind: "D", Path: rel})
			return nil
		}
		kind := "A"
		if inLayers(rec.Layers, rel) {
			kind = "C"
		}
		out = append(out, Change{Kind: kind, Path: rel})
		if d.IsDir() && isOpaque(path) {
			out = append(out, hiddenByOpaque(rec.Layers, upper, rel)...)
		}
		return nil
	})
	if err != nil {
		return nil, errors.Wrap(err, "read the container's writable layer")
	}
	out = dropPlaceholders(out, upper)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// etcMountPoints are the files start bind-mounts over (network's etc
// files): the empty files made in the writable layer to mount on are the
// runtime's, not the container's changes, as Docker keeps them in its
// init layer and out of diff. What the container writes to them goes to
// the files beside its record, not here.
var etcMountPoints = map[string]bool{"/etc/hosts": true, "/etc/hostname": true, "/etc/resolv.conf": true}

// dropPlaceholders removes the mount points of etcMountPoints while they
// are empty files, and /etc itself if nothing else in it changed.
func dropPlaceholders(changes []Change, upper string) []Change {
	dropped := 0
	out := changes[:0]
	for _, c := range changes {
		if etcMountPoints[c.Path] && c.Kind != "D" {
			if fi, err := os.Lstat(filepath.Join(upper, c.Path)); err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
				dropped++
				continue
			}
		}
		out = append(out, c)
	}
	if dropped == 0 {
		return out
	}
	// /etc came up only to hold the mount points if it holds nothing
	// else; its own metadata is then the layers' (a copy-up keeps it).
	entries, err := os.ReadDir(filepath.Join(upper, "etc"))
	if err != nil || len(entries) != dropped || isOpaque(filepath.Join(upper, "etc")) {
		return out
	}
	return slices.DeleteFunc(out, func(c Change) bool { return c.Path == "/etc" })
}

func isWhiteout(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

func isOpaque(path string) bool {
	buf := make([]byte, 1)
	n, err := unix.Lgetxattr(path, "trusted.overlay.opaque", buf)
	return err == nil && n == 1 && buf[0] == 'y'
}

// inLayers reports whether the image layers (lowest first) show rel: the
// topmost layer that has it, or a whiteout of it, decides.
func inLayers(layers []string, rel string) bool {
	for i := len(layers) - 1; i >= 0; i-- {
		st, ok := lstatWithin(layers[i], rel)
		if ok {
			return !isWhiteout(st)
		}
	}
	return false
}

// lstatWithin stats rel inside dir without following any symlink on the
// way: a layer's symlinked directory is not that directory.
func lstatWithin(dir, rel string) (*unix.Stat_t, bool) {
	var st unix.Stat_t
	cur := dir
	parts := strings.Split(strings.Trim(rel, "/"), "/")
	for i, p := range parts {
		cur = filepath.Join(cur, p)
		if err := unix.Lstat(cur, &st); err != nil {
			return nil, false
		}
		if i < len(parts)-1 && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return nil, false
		}
	}
	return &st, true
}

// hiddenByOpaque lists as deleted what the layers had in directory rel
// that the opaque copy in upper does not have.
func hiddenByOpaque(layers []string, upper, rel string) []Change {
	seen := map[string]bool{}
	var out []Change
	for i := len(layers) - 1; i >= 0; i-- {
		st, ok := lstatWithin(layers[i], rel)
		if !ok || st.Mode&unix.S_IFMT != unix.S_IFDIR {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(layers[i], rel))
		if err != nil {
			continue
		}
		for _, e := range entries {
			child := filepath.Join(rel, e.Name())
			if seen[e.Name()] {
				continue
			}
			seen[e.Name()] = true
			if _, inUpper := lstatWithin(upper, child); inUpper {
				continue
			}
			if inLayers(layers[:i+1], child) {
				out = append(out, Change{Kind: "D", Path: child})
			}
		}
		if isOpaque(filepath.Join(layers[i], rel)) {
			break // lower layers are hidden from this one already
		}
	}
	return out
}
