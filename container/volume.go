package container

import (
	"mydocker/container/spec"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
)

// ParseVolume parses a -v spec SRC:DST[:ro|rw]. SRC must be an absolute
// host path and DST an absolute container path; both are cleaned.
func ParseVolume(arg string) (spec.Mount, error) {
	parts := strings.Split(arg, ":")
	var m spec.Mount
	switch len(parts) {
	case 2:
	case 3:
		switch parts[2] {
		case "ro":
			m.ReadOnly = true
		case "rw":
		default:
			return spec.Mount{}, errors.Errorf("invalid volume %q: mode must be ro or rw, not %q", arg, parts[2])
		}
	default:
		return spec.Mount{}, errors.Errorf("invalid volume %q: want SRC:DST[:ro]", arg)
	}
	src, dst := parts[0], parts[1]
	if src == "" || dst == "" {
		return spec.Mount{}, errors.Errorf("invalid volume %q: empty source or destination", arg)
	}
	if strings.ContainsRune(arg, 0) {
		return spec.Mount{}, errors.Errorf("invalid volume %q: contains NUL", arg)
	}
	if !filepath.IsAbs(src) {
		return spec.Mount{}, errors.Errorf("invalid volume %q: source %q must be an absolute path", arg, src)
	}
	if !filepath.IsAbs(dst) {
		return spec.Mount{}, errors.Errorf("invalid volume %q: destination %q must be an absolute path", arg, dst)
	}
	m.Source = filepath.Clean(src)
	m.Destination = filepath.Clean(dst)
	if m.Destination == "/" {
		return spec.Mount{}, errors.Errorf("invalid volume %q: destination cannot be /", arg)
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

// CreateVolumeSources makes missing host directories for -v, as Docker
// does. Existing paths are left exactly as they are.
func CreateVolumeSources(mounts []spec.Mount) error {
	for _, m := range mounts {
		if _, err := os.Stat(m.Source); err == nil {
			continue
		} else if !os.IsNotExist(err) {
			return errors.Wrapf(err, "volume source %s", m.Source)
		}
		if err := os.MkdirAll(m.Source, 0o755); err != nil {
			return errors.Wrapf(err, "create volume source %s", m.Source)
		}
	}
	return nil
}
