package container

import (
	"mydocker/container/spec"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
)

// ParseVolume parses a -v spec as Docker does: SRC:DST[:OPTS] binds the
// host path SRC (absolute) or mounts the named volume SRC (any other
// word: created on first use); a lone /DST is an anonymous volume. OPTS
// is a comma-separated list of ro, rw and nocopy (volumes only: do not
// fill an empty volume from the image). Paths are cleaned.
func ParseVolume(arg string) (spec.Mount, error) {
	if strings.ContainsRune(arg, 0) {
		return spec.Mount{}, errors.Errorf("invalid volume %q: contains NUL", arg)
	}
	parts := strings.Split(arg, ":")
	var m spec.Mount
	var src, dst, opts string
	switch len(parts) {
	case 1:
		dst = parts[0]
	case 2:
		src, dst = parts[0], parts[1]
	case 3:
		src, dst, opts = parts[0], parts[1], parts[2]
	default:
		return spec.Mount{}, errors.Errorf("invalid volume %q: want SRC:DST[:ro]", arg)
	}
	if dst == "" || (len(parts) > 1 && src == "") {
		return spec.Mount{}, errors.Errorf("invalid volume %q: empty source or destination, want SRC:DST[:ro]", arg)
	}
	if !filepath.IsAbs(dst) {
		return spec.Mount{}, errors.Errorf("invalid volume %q: destination %q must be an absolute path", arg, dst)
	}
	m.Destination = filepath.Clean(dst)
	if m.Destination == "/" {
		return spec.Mount{}, errors.Errorf("invalid volume %q: destination cannot be /", arg)
	}
	switch {
	case src == "":
		m.Type, m.Anonymous, m.CopyUp = spec.MountVolume, true, true
	case filepath.IsAbs(src):
		m.Type, m.Source = spec.MountBind, filepath.Clean(src)
	default:
		if err := ValidateVolumeName(src); err != nil {
			return spec.Mount{}, errors.Errorf("invalid volume %q: %q is neither an absolute host path nor a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)", arg, src)
		}
		m.Type, m.Name, m.CopyUp = spec.MountVolume, src, true
	}
	if opts == "" && len(parts) == 3 {
		return spec.Mount{}, errors.Errorf("invalid volume %q: mode must be ro or rw, not %q", arg, opts)
	}
	seen := map[string]bool{}
	for _, o := range strings.Split(opts, ",") {
		if o == "" && opts == "" {
			break
		}
		if seen[o] {
			return spec.Mount{}, errors.Errorf("invalid volume %q: %s given twice", arg, o)
		}
		seen[o] = true
		switch o {
		case "ro":
			m.ReadOnly = true
		case "rw":
		case "nocopy":
			if m.Type != spec.MountVolume {
				return spec.Mount{}, errors.Errorf("invalid volume %q: nocopy applies to volumes, not host paths", arg)
			}
			m.CopyUp = false
		default:
			return spec.Mount{}, errors.Errorf("invalid volume %q: mode must be ro or rw, not %q", arg, o)
		}
	}
	if seen["ro"] && seen["rw"] {
		return spec.Mount{}, errors.Errorf("invalid volume %q: both ro and rw", arg)
	}
	return m, nil
}

// ParseVolumes parses every -v arg and refuses two volumes on one target.
func ParseVolumes(specs []string) ([]spec.Mount, error) {
	mounts := make([]spec.Mount, 0, len(specs))
	seen := map[string]bool{}
	for _, s := range specs {
		m, err := ParseVolume(s)
		if err != nil {
			return nil, err
		}
		if seen[m.Destination] {
			return nil, errors.Errorf("invalid volume %q: duplicate mount point %s", s, m.Destination)
		}
		seen[m.Destination] = true
		mounts = append(mounts, m)
	}
	return mounts, nil
}
