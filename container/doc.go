// Package container is the host side of a container's life: its record
// (record.go, state.go, store.go, names.go), the overlay workspace and
// volumes, the Runner that starts init in new namespaces and watches it
// (runner.go, process.go) and, for a detached container, in its own monitor
// process (monitor.go), exec's host side (exec.go), stop and removal
// (lifecycle.go), and the container's log.
//
// Everything here runs on the host, in the CLI or in the per-container
// monitor. What runs inside the container's namespaces is package inside;
// the two meet only through package spec.
package container
