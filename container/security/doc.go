// Package security confines a container's processes: the capability sets
// a container keeps, the default seccomp filter, and Confine, which
// applies both to the calling thread just before it execs the user's
// command.
//
// It runs inside the container's namespaces (init and the exec stub,
// package inside); the host side only derives a Security value from a
// container's record and sends it along.
package security
