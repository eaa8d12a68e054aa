// Package inside is the code that runs inside a container's namespaces:
// `mydocker init`, the container's first process until it execs the
// user's command (init.go, rootfs.go, mountat.go, console.go), ending in
// lookPath, confine, execve (lookpath.go). A process exec'd into a
// container runs no Go at all: package nsenter's C follows the plan the
// host worked out.
//
// It imports only spec, security, accounts, confine, cgroups, utils and
// constant, never package container: a process inside the container
// never reaches the record store, the locks or anything else of the
// host's state, and boundary_test.go keeps it so.
package inside
