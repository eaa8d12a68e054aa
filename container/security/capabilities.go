package security

import (
	"sort"
	"strings"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// capNumbers maps every capability the kernel knows to its number.
var capNumbers = map[string]int{
	"CAP_CHOWN": unix.CAP_CHOWN, "CAP_DAC_OVERRIDE": unix.CAP_DAC_OVERRIDE,
	"CAP_DAC_READ_SEARCH": unix.CAP_DAC_READ_SEARCH, "CAP_FOWNER": unix.CAP_FOWNER,
	"CAP_FSETID": unix.CAP_FSETID, "CAP_KILL": unix.CAP_KILL, "CAP_SETGID": unix.CAP_SETGID,
	"CAP_SETUID": unix.CAP_SETUID, "CAP_SETPCAP": unix.CAP_SETPCAP,
	"CAP_LINUX_IMMUTABLE": unix.CAP_LINUX_IMMUTABLE, "CAP_NET_BIND_SERVICE": unix.CAP_NET_BIND_SERVICE,
	"CAP_NET_BROADCAST": unix.CAP_NET_BROADCAST, "CAP_NET_ADMIN": unix.CAP_NET_ADMIN,
	"CAP_NET_RAW": unix.CAP_NET_RAW, "CAP_IPC_LOCK": unix.CAP_IPC_LOCK, "CAP_IPC_OWNER": unix.CAP_IPC_OWNER,
	"CAP_SYS_MODULE": unix.CAP_SYS_MODULE, "CAP_SYS_RAWIO": unix.CAP_SYS_RAWIO,
	"CAP_SYS_CHROOT": unix.CAP_SYS_CHROOT, "CAP_SYS_PTRACE": unix.CAP_SYS_PTRACE,
	"CAP_SYS_PACCT": unix.CAP_SYS_PACCT, "CAP_SYS_ADMIN": unix.CAP_SYS_ADMIN,
	"CAP_SYS_BOOT": unix.CAP_SYS_BOOT, "CAP_SYS_NICE": unix.CAP_SYS_NICE,
	"CAP_SYS_RESOURCE": unix.CAP_SYS_RESOURCE, "CAP_SYS_TIME": unix.CAP_SYS_TIME,
	"CAP_SYS_TTY_CONFIG": unix.CAP_SYS_TTY_CONFIG, "CAP_MKNOD": unix.CAP_MKNOD, "CAP_LEASE": unix.CAP_LEASE,
	"CAP_AUDIT_WRITE": unix.CAP_AUDIT_WRITE, "CAP_AUDIT_CONTROL": unix.CAP_AUDIT_CONTROL,
	"CAP_SETFCAP": unix.CAP_SETFCAP, "CAP_MAC_OVERRIDE": unix.CAP_MAC_OVERRIDE,
	"CAP_MAC_ADMIN": unix.CAP_MAC_ADMIN, "CAP_SYSLOG": unix.CAP_SYSLOG, "CAP_WAKE_ALARM": unix.CAP_WAKE_ALARM,
	"CAP_BLOCK_SUSPEND": unix.CAP_BLOCK_SUSPEND, "CAP_AUDIT_READ": unix.CAP_AUDIT_READ,
	"CAP_PERFMON": unix.CAP_PERFMON, "CAP_BPF": unix.CAP_BPF, "CAP_CHECKPOINT_RESTORE": unix.CAP_CHECKPOINT_RESTORE,
}

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
// set, so nothing the container execs can ever regain it.
func dropBoundingSet(keep uint64) error {
	last := unix.CAP_LAST_CAP
	for n := 0; n <= last; n++ {
		if keep&(1<<uint(n)) != 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(n), 0, 0, 0); err != nil && err != unix.EINVAL {
			return errors.Wrapf(err, "drop capability %d from the bounding set", n)
		}
	}
	return nil
}

// setCapabilities makes keep the calling thread's effective and permitted
// sets; the command exec'd from this thread starts with them (root's
// capabilities after exec are its bounding set). The inheritable set is
// emptied, as Docker and Podman do since CVE-2022-24769: with it set, a
// non-root program whose file grants inheritable capabilities would gain
// them on exec, though the user running it was never given them.
func setCapabilities(keep uint64) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{
		{Effective: uint32(keep), Permitted: uint32(keep)},
		{Effective: uint32(keep >> 32), Permitted: uint32(keep >> 32)},
	}
	return errors.Wrap(unix.Capset(&hdr, &data[0]), "set capabilities")
}

// permittedCapabilities reads the calling thread's permitted set.
func permittedCapabilities() (uint64, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return 0, errors.Wrap(err, "read capabilities")
	}
	return uint64(data[0].Permitted) | uint64(data[1].Permitted)<<32, nil
}

// Security is how a container's processes are confined.
type Security struct {
	Capabilities []string `json:"capabilities"`
	Seccomp      bool     `json:"seccomp"`    // the default filter is installed
	MaskPaths    bool     `json:"mask_paths"` // Docker's masked and read-only /proc and /sys paths
	Privileged   bool     `json:"privileged"` // /sys writable, everything allowed
}

// Confine applies sec to the calling thread, in the order that keeps each
// step possible: bounding set first, then the seccomp filter (which needs
// CAP_SYS_ADMIN, so before it may be dropped), then the final capability
// sets. Only execve follows.
func Confine(sec *Security) error {
	have, err := permittedCapabilities()
	if err != nil {
		return err
	}
	// A capability mydocker itself lacks (a host without
	// CAP_SYS_RESOURCE, say) cannot be handed on: --privileged means all
	// that mydocker has.
	keep := capMask(sec.Capabilities) & have
	if err := dropBoundingSet(keep); err != nil {
		return err
	}
	if sec.Seccomp {
		if err := installSeccomp(); err != nil {
			return err
		}
	}
	return setCapabilities(keep)
}
