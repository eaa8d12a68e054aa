package security

import (
	"sort"
	"strings"

	"github.com/moby/sys/capability"
	"github.com/pkg/errors"
)

// capNumbers maps every capability moby/sys/capability knows, by the
// kernel's name (CAP_CHOWN), to its number.
var capNumbers = func() map[string]capability.Cap {
	m := map[string]capability.Cap{}
	for _, c := range capability.ListKnown() {
		m["CAP_"+strings.ToUpper(c.String())] = c
	}
	return m
}()

// DefaultCapabilities is Docker's default set for a container.
var DefaultCapabilities = []string{
	"CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_MKNOD", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
	"CAP_SETUID", "CAP_SYS_CHROOT",
}

// CapNumber is the kernel's number of capability name (CAP_CHOWN).
func CapNumber(name string) (capability.Cap, bool) {
	c, ok := capNumbers[name]
	return c, ok
}

// normalizeCap accepts chown, CHOWN or CAP_CHOWN.
func normalizeCap(s string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(s))
	if c == "ALL" {
		return c, nil
	}
	if !strings.HasPrefix(c, "CAP_") {
		c = "CAP_" + c
	}
	if _, ok := capNumbers[c]; !ok {
		return "", errors.Errorf("unknown capability %q", s)
	}
	return c, nil
}

// Capabilities computes a container's capability set from Docker's
// defaults, --cap-add and --cap-drop (ALL allowed in both, drops first),
// or every capability with --privileged.
func Capabilities(add, drop []string, privileged bool) ([]string, error) {
	set := map[string]bool{}
	for _, c := range DefaultCapabilities {
		set[c] = true
	}
	if privileged {
		for c := range capNumbers {
			set[c] = true
		}
	}
	for _, d := range drop {
		c, err := normalizeCap(d)
		if err != nil {
			return nil, errors.Wrap(err, "--cap-drop")
		}
		if c == "ALL" {
			set = map[string]bool{}
			continue
		}
		delete(set, c)
	}
	for _, a := range add {
		c, err := normalizeCap(a)
		if err != nil {
			return nil, errors.Wrap(err, "--cap-add")
		}
		if c == "ALL" {
			for k := range capNumbers {
				set[k] = true
			}
			continue
		}
		set[c] = true
	}
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Strings(out)
	return out, nil
}

// CapMask turns a list of names into the kernel's bitmask.
func CapMask(caps []string) uint64 {
	var m uint64
	for _, c := range caps {
		if n, ok := capNumbers[c]; ok {
			m |= 1 << uint(n)
		}
	}
	return m
}

// Security is how a container's processes are confined.
type Security struct {
	Capabilities []string `json:"capabilities"`
	Seccomp      bool     `json:"seccomp"`    // the default filter is installed
	MaskPaths    bool     `json:"mask_paths"` // Docker's masked and read-only /proc and /sys paths
	Privileged   bool     `json:"privileged"` // /sys writable, everything allowed
}
