// GOMAXPROCS is set once at start: Go 1.25's runtime otherwise re-reads
// the cgroup's CPU limit every second for the life of the process, and a
// monitor lives as long as its container, idle.
//
//go:debug updatemaxprocs=0

// Command mydocker-monitor is a detached container's monitor: the parent
// that starts it, logs its output, records its exit and carries out its
// restart policy (container.Store.Monitor). It is built apart from
// mydocker so that it links only the host-side container packages, none
// of the image, registry, Kubernetes or CLI code: one runs per running
// container for as long as it runs, and what a program links and
// initialises stays resident. mydocker run -d and start start it
// (container.StartMonitor), never a user.
package main

import (
	"os"
	"runtime"

	// For its init: see main.go's imports. (Not hugeheap: its huge pages
	// would stay resident for as long as the container runs.)
	_ "mydocker/internal/sysmonslack"

	"mydocker/container"
)

func init() {
	// main runs on the main thread, the one that forks the container's
	// init and may exec this program afresh (container/respawn.go).
	runtime.LockOSThread()
}

func main() {
	os.Exit(container.RunMonitor(os.Args[1:]))
}
