// GOMAXPROCS is set once at start: Go 1.25's runtime otherwise re-reads
// the cgroup's CPU limit every second for the life of the process, and a
// detached container's monitor lives as long as the container, idle.
//
//go:debug updatemaxprocs=0

// Command mydocker-inside is what a container's init runs as, until it
// execs the user's command. It is mydocker's own code for that role,
// built apart so that it links only the packages used inside: it starts
// on every run, and the whole CLI's package initialisation would cost it
// several milliseconds for nothing. (The exec stub that joins a running
// container is C, in mydocker-init.) `make build` puts it beside
// mydocker; container.OpenSealedSelf finds it there.
package main

import (
	"fmt"
	"os"
	"runtime"

	// For their init: see main.go's imports.
	_ "mydocker/internal/hugeheap"
	_ "mydocker/internal/sysmonslack"

	"mydocker/constant"
	"mydocker/container/inside"
)

func init() {
	if inside.IsRole(os.Args) {
		runtime.LockOSThread()
	}
}

func main() {
	inside.RunRole(os.Args) // does not return for init
	fmt.Fprintln(os.Stderr, "mydocker-inside: started by mydocker run, not by hand (try: mydocker --help)")
	os.Exit(constant.ExitMydocker)
}
