package container

import (
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
)

// ParseVolume parses a -v spec SRC:DST[:ro|rw]. SRC must be an absolute
// host path and DST an absolute container path; both are cleaned.
func ParseVolume(spec string) (Mount, error) {
	parts := strings.Split(spec, ":")
	var m Mount
	switch len(parts) {
	case 2:
	case 3:
		switch parts[2] {
		case "ro":
			m.ReadOnly = true
		case "rw":
		default:
			return Mount{}, errors.Errorf("invalid volume %q: mode must be ro or rw, not %q", spec, parts[2])
		}
	default:
		return Mount{}, errors.Errorf("invalid volume %q: want SRC:DST[:ro]", spec)
	}
	src, dst := parts[0], parts[1]
	if src == "" || dst == "" {
		return Mount{}, errors.Errorf("invalid volume %q: empty source or destination", spec)
	}
	if strings.ContainsRune(spec, 0) {
		return Mount{}, errors.Errorf("invalid volume %q: contains NUL", spec)
	}
	if !filepath.IsAbs(src) {
		return Mount{}, errors.Errorf("invalid volume %q: source %q must be an absolute path", spec, src)
	}
	if !filepath.IsAbs(dst) {
		return Mount{}, errors.Errorf("invalid volume %q: destination %q must be an absolute path", spec, dst)
	}
	m.Source = filepath.Clean(src)
	m.Destination = filepath.Clean(dst)
	if m.Destination == "/" {
		return Mount{}, errors.Errorf("invalid volume %q: destination cannot be /", spec)
	}
	return m, nil
}

// ParseVolumes parses every -v spec and refuses two volumes on one target.
func ParseVolumes(specs []string) ([]Mount, error) {
	mounts := make([]Mount, 0, len(specs))
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
