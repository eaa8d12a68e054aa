package security

import (
	"sort"
	"strings"

	"github.com/moby/sys/capability"
	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
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

// capMask turns a list of names into the kernel's bitmask.
func capMask(caps []string) uint64 {
	var m uint64
	for _, c := range caps {
		if n, ok := capNumbers[c]; ok {
			m |= 1 << uint(n)
		}
	}
	return m
}

// dropBoundingSet removes every capability not in keep from the bounding
// set, so nothing the container execs can ever regain it. It goes up to
// the kernel's last capability, not the library's, so a capability newer
// than this binary is dropped too.
func dropBoundingSet(keep uint64) error {
	last, err := capability.LastCap()
	if err != nil {
		return errors.Wrap(err, "read the last capability")
	}
	for n := capability.Cap(0); n <= last; n++ {
		if n < 64 && keep&(1<<uint(n)) != 0 {
			continue
		}
		// EINVAL: a capability this kernel does not have.
		if err := capability.DropBound(n); err != nil && !errors.Is(err, unix.EINVAL) {
			return errors.Wrapf(err, "drop capability %d (%s) from the bounding set", n, n)
		}
	}
	return nil
}

// Security is how a container's processes are confined.
type Security struct {
	Capabilities []string `json:"capabilities"`
	Seccomp      bool     `json:"seccomp"`    // the default filter is installed
	MaskPaths    bool     `json:"mask_paths"` // Docker's masked and read-only /proc and /sys paths
	Privileged   bool     `json:"privileged"` // /sys writable, everything allowed
}

// Confine applies sec to the calling thread and makes it id, in the
// order that keeps each step possible: bounding set first, then the
// seccomp filter (which needs CAP_SYS_ADMIN, so before it may be
// dropped), then the user switch (which needs CAP_SETUID and CAP_SETGID),
// then the final capability sets. Only execve follows.
func Confine(sec *Security, id *Identity) error {
	caps, err := capability.NewPid2(0)
	if err == nil {
		err = caps.Load()
	}
	if err != nil {
		return errors.Wrap(err, "read capabilities")
	}
	// A capability mydocker itself lacks (a host without
	// CAP_SYS_RESOURCE, say) cannot be handed on: --privileged means all
	// that mydocker has.
	var keep uint64
	var kept []capability.Cap
	for _, name := range sec.Capabilities {
		if c, ok := capNumbers[name]; ok && caps.Get(capability.PERMITTED, c) {
			keep |= 1 << uint(c)
			kept = append(kept, c)
		}
	}
	if err := dropBoundingSet(keep); err != nil {
		return err
	}
	if sec.Seccomp {
		if err := installSeccomp(keep); err != nil {
			return err
		}
	}
	if err := id.switchTo(); err != nil {
		return err
	}
	// For root, keep becomes the effective and permitted sets; the
	// command exec'd from this thread starts with them (root's
	// capabilities after exec are its bounding set). A non-root user gets
	// none: the kernel cleared them at setuid, and Docker leaves them so
	// (the bounding set still caps what a setuid program may regain). The
	// inheritable set is emptied, as Docker and Podman do since
	// CVE-2022-24769: with it set, a non-root program whose file grants
	// inheritable capabilities would gain them on exec, though the user
	// running it was never given them.
	caps.Clear(capability.CAPS)
	if id.UID == 0 {
		caps.Set(capability.EFFECTIVE|capability.PERMITTED, kept...)
	}
	return errors.Wrap(caps.Apply(capability.CAPS), "set capabilities")
}
