package container

import (
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"

	"mydocker/cgroups"
	"mydocker/container/spec"
)

// DeviceMapping is one --device, with Docker's field names.
type DeviceMapping struct {
	PathOnHost        string `json:"PathOnHost"`
	PathInContainer   string `json:"PathInContainer"`
	CgroupPermissions string `json:"CgroupPermissions"`
	// Node is the device as init makes it in the container's /dev.
	Node spec.Device `json:"Node"`
}

func validPerms(s string) bool {
	if s == "" || len(s) > 3 {
		return false
	}
	seen := map[rune]bool{}
	for _, c := range s {
		if !strings.ContainsRune("rwm", c) || seen[c] {
			return false
		}
		seen[c] = true
	}
	return true
}

// ParseDevice parses --device HOST[:CONTAINER][:PERMS] as Docker does:
// HOST is a device node on this host (symlinks followed, as
// /dev/disk/by-id names are), CONTAINER where it appears (default: the
// same path; it must be under /dev), PERMS what the container may do
// with it, a combination of r, w and m (default rwm).
func ParseDevice(arg string, stat func(string, *unix.Stat_t) error) (DeviceMapping, error) {
	bad := func(format string, a ...any) (DeviceMapping, error) {
		return DeviceMapping{}, errors.Errorf("invalid --device %q: "+format, append([]any{arg}, a...)...)
	}
	if strings.ContainsRune(arg, 0) {
		return bad("contains NUL")
	}
	parts := strings.Split(arg, ":")
	d := DeviceMapping{CgroupPermissions: "rwm"}
	switch len(parts) {
	case 1:
		d.PathOnHost = parts[0]
	case 2:
		d.PathOnHost = parts[0]
		if validPerms(parts[1]) {
			d.CgroupPermissions = parts[1]
		} else {
			d.PathInContainer = parts[1]
		}
	case 3:
		d.PathOnHost, d.PathInContainer = parts[0], parts[1]
		if !validPerms(parts[2]) {
			return bad("permissions %q: want a combination of r, w and m", parts[2])
		}
		d.CgroupPermissions = parts[2]
	default:
		return bad("want HOST[:CONTAINER][:PERMS]")
	}
	if !filepath.IsAbs(d.PathOnHost) {
		return bad("host path %q must be absolute", d.PathOnHost)
	}
	if d.PathInContainer == "" {
		d.PathInContainer = d.PathOnHost
	}
	if !filepath.IsAbs(d.PathInContainer) {
		return bad("container path %q must be absolute", d.PathInContainer)
	}
	var st unix.Stat_t
	if err := stat(d.PathOnHost, &st); err != nil {
		return bad("%v", err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
		d.Node.Type = "c"
	case unix.S_IFBLK:
		d.Node.Type = "b"
	default:
		return bad("%s is not a device node", d.PathOnHost)
	}
	d.PathInContainer = filepath.Clean(d.PathInContainer)
	rel, ok := strings.CutPrefix(d.PathInContainer, "/dev/")
	if !ok || rel == "" || rel == "pts" || strings.HasPrefix(rel, "pts/") || rel == "shm" || strings.HasPrefix(rel, "shm/") || rel == "mqueue" || strings.HasPrefix(rel, "mqueue/") {
		return bad("container path %q must be in /dev (not in pts, shm or mqueue)", d.PathInContainer)
	}
	d.Node.Path = d.PathInContainer
	d.Node.Major, d.Node.Minor = int64(unix.Major(uint64(st.Rdev))), int64(unix.Minor(uint64(st.Rdev)))
	d.Node.Mode = st.Mode & 0o777
	d.Node.UID, d.Node.GID = st.Uid, st.Gid
	return d, nil
}

// ParseDevices parses every --device, refusing two on one path.
func ParseDevices(args []string) ([]DeviceMapping, error) {
	var out []DeviceMapping
	seen := map[string]bool{}
	for _, a := range args {
		d, err := ParseDevice(a, unix.Stat)
		if err != nil {
			return nil, err
		}
		if seen[d.PathInContainer] {
			return nil, errors.Errorf("invalid --device %q: %s given twice", a, d.PathInContainer)
		}
		seen[d.PathInContainer] = true
		out = append(out, d)
	}
	return out, nil
}

// DeviceRules is the container's allow list: the default one and each
// --device with its permissions; everything with --privileged.
func DeviceRules(devices []DeviceMapping, privileged bool) []cgroups.DeviceRule {
	if privileged {
		return append([]cgroups.DeviceRule{}, cgroups.AllowAllDevices...)
	}
	rules := append([]cgroups.DeviceRule{}, cgroups.DefaultDeviceRules...)
	for _, d := range devices {
		rules = append(rules, cgroups.DeviceRule{Type: d.Node.Type, Major: d.Node.Major, Minor: d.Node.Minor, Access: d.CgroupPermissions})
	}
	return rules
}
