// Package inside is the code that runs inside a container's namespaces:
// `mydocker init`, the container's first process until it execs the
// user's command (init.go, rootfs.go, mountat.go, console.go), and
// `mydocker nsexec`, the Go side of an exec'd process once package
// nsenter's constructor has joined the namespaces (exec_inside.go). Both
// end in the same lookPath, confine, execve (lookpath.go).
//
// It imports only spec, security, cgroups, utils and constant, never
// package container: a process inside the container never reaches the
// record store, the locks or anything else of the host's state, and
// boundary_test.go keeps it so.
package inside
