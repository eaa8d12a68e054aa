package container

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"

	"mydocker/container/spec"
	"mydocker/utils"
)

// tmpfsDefaultFlags are a tmpfs's flags unless its options say otherwise:
// Docker's rw,noexec,nosuid,nodev.
const tmpfsDefaultFlags = unix.MS_NOEXEC | unix.MS_NOSUID | unix.MS_NODEV

// tmpfsOptions applies one --tmpfs option to a tmpfs mount. Every value
// is checked to be a number, so nothing the user types can add another
// option to mount(2)'s data string.
func tmpfsOption(m *spec.Mount, data map[string]string, opt string) error {
	key, val, hasVal := strings.Cut(opt, "=")
	flagOpts := map[string]struct {
		set   bool
		flags uintptr
	}{
		"exec": {false, unix.MS_NOEXEC}, "noexec": {true, unix.MS_NOEXEC},
		"suid": {false, unix.MS_NOSUID}, "nosuid": {true, unix.MS_NOSUID},
		"dev": {false, unix.MS_NODEV}, "nodev": {true, unix.MS_NODEV},
	}
	if f, ok := flagOpts[key]; ok && !hasVal {
		if f.set {
			m.Flags |= f.flags
		} else {
			m.Flags &^= f.flags
		}
		return nil
	}
	switch {
	case (key == "ro" || key == "rw") && !hasVal:
		m.ReadOnly = key == "ro"
		return nil
	case key == "size" && hasVal:
		n, err := utils.ParseSize(val)
		if err != nil {
			return errors.Wrap(err, "size")
		}
		data["size"] = strconv.FormatInt(n, 10)
		return nil
	case key == "mode" && hasVal:
		n, err := strconv.ParseUint(val, 8, 32)
		if err != nil || n > 0o7777 {
			return errors.Errorf("mode %q: want octal permissions such as 1777", val)
		}
		data["mode"] = strconv.FormatUint(n, 8)
		return nil
	case (key == "uid" || key == "gid" || key == "nr_inodes") && hasVal:
		n, err := strconv.ParseUint(val, 10, 32)
		if err != nil {
			return errors.Errorf("%s %q: want a number", key, val)
		}
		data[key] = strconv.FormatUint(n, 10)
		return nil
	}
	return errors.Errorf("unknown option %q", opt)
}

// tmpfsData is data as mount(2)'s option string, in a fixed order.
func tmpfsData(data map[string]string) string {
	var out []string
	for _, k := range []string{"size", "mode", "uid", "gid", "nr_inodes"} {
		if v, ok := data[k]; ok {
			out = append(out, k+"="+v)
		}
	}
	return strings.Join(out, ",")
}

// ParseTmpfs parses a --tmpfs spec, /path[:opts] as Docker takes it: opts
// are comma-separated among ro, rw, size=, mode=, uid=, gid=, nr_inodes=,
// exec, noexec, suid, nosuid, dev, nodev.
func ParseTmpfs(arg string) (spec.Mount, error) {
	dst, opts, _ := strings.Cut(arg, ":")
	m := spec.Mount{Type: spec.MountTmpfs, Source: "tmpfs", Flags: tmpfsDefaultFlags}
	if err := setTarget(&m, dst); err != nil {
		return spec.Mount{}, errors.Wrapf(err, "invalid --tmpfs %q", arg)
	}
	data := map[string]string{}
	if opts != "" {
		for _, o := range strings.Split(opts, ",") {
			if err := tmpfsOption(&m, data, o); err != nil {
				return spec.Mount{}, errors.Wrapf(err, "invalid --tmpfs %q", arg)
			}
		}
	}
	m.Data = tmpfsData(data)
	return m, nil
}

// setTarget checks and sets a mount's destination.
func setTarget(m *spec.Mount, dst string) error {
	if strings.ContainsRune(dst, 0) {
		return errors.New("path contains NUL")
	}
	if !filepath.IsAbs(dst) {
		return errors.Errorf("destination %q must be an absolute path", dst)
	}
	m.Destination = filepath.Clean(dst)
	if m.Destination == "/" {
		return errors.New("destination cannot be /")
	}
	return nil
}

// parseBool reads a --mount boolean: a bare key is true.
func parseBool(key, val string, hasVal bool) (bool, error) {
	if !hasVal {
		return true, nil
	}
	switch strings.ToLower(val) {
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return false, errors.Errorf("invalid value for %s: %q", key, val)
}

// ParseMount parses a --mount spec in Docker's syntax: comma-separated
// (CSV-quoted) key=value fields, type=bind|volume|tmpfs (default volume),
// source/src, target/destination/dst, readonly/ro, volume-nocopy,
// tmpfs-size, tmpfs-mode. It does not look at the host: ParseMounts
// checks that a bind's source exists, as Docker does.
func ParseMount(arg string) (spec.Mount, error) {
	bad := func(format string, a ...any) (spec.Mount, error) {
		return spec.Mount{}, errors.Errorf("invalid --mount %q: "+format, append([]any{arg}, a...)...)
	}
	if strings.ContainsAny(arg, "\x00\n\r") {
		return bad("contains a control character")
	}
	r := csv.NewReader(strings.NewReader(arg))
	fields, err := r.Read()
	if err != nil {
		return bad("%v", err)
	}
	typ := spec.MountVolume
	var src, dst string
	var ro, nocopy, hasDst bool
	data := map[string]string{}
	var tmpfsOpts []string
	seen := map[string]bool{}
	for _, f := range fields {
		key, val, hasVal := strings.Cut(f, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		canon := map[string]string{"src": "source", "destination": "target", "dst": "target", "ro": "readonly"}[key]
		if canon == "" {
			canon = key
		}
		if seen[canon] {
			return bad("%s given twice", canon)
		}
		seen[canon] = true
		switch canon {
		case "type":
			typ = val
		case "source":
			if !hasVal || val == "" {
				return bad("empty source")
			}
			src = val
		case "target":
			dst, hasDst = val, true
		case "readonly":
			if ro, err = parseBool(key, val, hasVal); err != nil {
				return bad("%v", err)
			}
		case "volume-nocopy":
			if nocopy, err = parseBool(key, val, hasVal); err != nil {
				return bad("%v", err)
			}
		case "tmpfs-size":
			tmpfsOpts = append(tmpfsOpts, "size="+val)
		case "tmpfs-mode":
			tmpfsOpts = append(tmpfsOpts, "mode="+val)
		case "bind-propagation":
			if val != "rprivate" && val != "private" {
				return bad("bind-propagation %q is not supported: mounts are private", val)
			}
		case "consistency":
			// macOS only; Docker ignores it on Linux.
		default:
			return bad("unexpected key %q", key)
		}
	}
	if !hasDst || dst == "" {
		return bad("target is required")
	}
	m := spec.Mount{Type: typ, ReadOnly: ro}
	if err := setTarget(&m, dst); err != nil {
		return bad("%v", err)
	}
	if typ != spec.MountVolume && seen["volume-nocopy"] {
		return bad("volume-nocopy applies to type=volume only")
	}
	if typ != spec.MountTmpfs && len(tmpfsOpts) > 0 {
		return bad("tmpfs options apply to type=tmpfs only")
	}
	switch typ {
	case spec.MountBind:
		if src == "" {
			return bad("a bind mount needs a source")
		}
		if !filepath.IsAbs(src) {
			return bad("source %q must be an absolute path", src)
		}
		m.Source = filepath.Clean(src)
	case spec.MountVolume:
		if src == "" {
			m.Anonymous = true
		} else if err := ValidateVolumeName(src); err != nil {
			return bad("%v", err)
		}
		m.Name, m.CopyUp = src, !nocopy
	case spec.MountTmpfs:
		if src != "" {
			return bad("a tmpfs takes no source")
		}
		m.Source, m.Flags = "tmpfs", tmpfsDefaultFlags
		for _, o := range tmpfsOpts {
			if err := tmpfsOption(&m, data, o); err != nil {
				return bad("%v", err)
			}
		}
		m.Data = tmpfsData(data)
	default:
		return bad("type must be bind, volume or tmpfs, not %q", typ)
	}
	return m, nil
}

// ParseMounts parses run's -v, --mount and --tmpfs flags into one list,
// refusing two mounts on one target and, as Docker does, a --mount bind
// whose source does not exist (-v creates a missing one instead).
func ParseMounts(volumes, mounts, tmpfs []string) ([]spec.Mount, error) {
	out, err := ParseVolumes(volumes)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, m := range out {
		seen[m.Destination] = true
	}
	add := func(arg string, m spec.Mount) error {
		if seen[m.Destination] {
			return errors.Errorf("invalid mount %q: duplicate mount point %s", arg, m.Destination)
		}
		seen[m.Destination] = true
		out = append(out, m)
		return nil
	}
	for _, arg := range mounts {
		m, err := ParseMount(arg)
		if err != nil {
			return nil, err
		}
		if m.Type == spec.MountBind {
			if _, err := os.Stat(m.Source); err != nil {
				return nil, errors.Errorf("invalid --mount %q: bind source path does not exist: %s", arg, m.Source)
			}
		}
		if err := add(arg, m); err != nil {
			return nil, err
		}
	}
	for _, arg := range tmpfs {
		m, err := ParseTmpfs(arg)
		if err != nil {
			return nil, err
		}
		if err := add(arg, m); err != nil {
			return nil, err
		}
	}
	return out, nil
}
