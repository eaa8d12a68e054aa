// Package confine confines a container's processes just before they
// exec the user's command: it drops the capabilities a container does not
// keep, installs the default seccomp filter and switches to the
// container's user (Confine). What to apply comes from package security,
// which the host side shares; this package runs only inside the
// container's namespaces (init and the exec stub, package inside), so the
// seccomp library and its tables of every system call are linked and
// initialised there, not in the CLI or the monitor.
package confine

import (
	"unsafe"

	"github.com/moby/sys/capability"
	"github.com/pkg/errors"
	"golang.org/x/sys/unix"

	"mydocker/container/security"
)

// Confine applies sec to the calling thread and makes it id, in the
// order that keeps each step possible: bounding set first, then the
// seccomp filter (which needs CAP_SYS_ADMIN, so before it may be
// dropped), then the user switch (which needs CAP_SETUID and CAP_SETGID),
// then the final capability sets. Only execve follows.
//
// filter is the seccomp filter the host assembled (and keeps in its
// cache) for the capabilities it says; init assembles none (package
// profile is the host's). Without one, or with capabilities other than
// those kept here (the host worked them out differently), nothing is
// exec'd.
func Confine(sec *security.Security, id *security.Identity, filter *Filter) error {
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
		if c, ok := security.CapNumber(name); ok && caps.Get(capability.PERMITTED, c) {
			keep |= 1 << uint(c)
			kept = append(kept, c)
		}
	}
	if err := dropBoundingSet(keep); err != nil {
		return err
	}
	if sec.Seccomp {
		if filter == nil {
			return errors.New("no seccomp filter from the host")
		}
		if filter.Caps != keep {
			return errors.Errorf("the host's seccomp filter is for capabilities %#x, the process keeps %#x", filter.Caps, keep)
		}
		if err := filter.install(); err != nil {
			return err
		}
	}
	if err := switchTo(id); err != nil {
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

// switchTo makes the calling thread id. It runs after the bounding set
// and the seccomp filter are in place and before the final capability
// sets: CAP_SETUID and CAP_SETGID are still held even when the container
// drops them. Raw per-thread system calls, as for capset: only this
// thread execs the command (and Go's all-thread variants would change
// every thread, where only this one matters).
//
// Changing every uid to non-zero clears the permitted and effective
// capabilities, so a non-root user starts with none, as in Docker; the
// bounding set stays, so a setuid-root program of the image still works.
func switchTo(id *security.Identity) error {
	groups := make([]uint32, len(id.Groups))
	for i, g := range id.Groups {
		groups[i] = uint32(g)
	}
	var p *uint32
	if len(groups) > 0 {
		p = &groups[0]
	}
	// Always: otherwise the command keeps mydocker's own supplementary
	// groups on the host.
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(groups)), uintptr(unsafe.Pointer(p)), 0); e != 0 {
		return errors.Wrapf(e, "setgroups %v", id.Groups)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(id.GID), uintptr(id.GID), uintptr(id.GID)); e != 0 {
		return errors.Wrapf(e, "setgid %d", id.GID)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(id.UID), uintptr(id.UID), uintptr(id.UID)); e != 0 {
		return errors.Wrapf(e, "setuid %d", id.UID)
	}
	return nil
}
