// GOMAXPROCS is set once at start: Go 1.25's runtime otherwise re-reads
// the cgroup's CPU limit every second for the life of the process, and a
// detached container's monitor lives as long as the container, idle.
//
//go:debug updatemaxprocs=0

// Command mydocker-inside is what every process of mydocker that enters a
// container runs as: the container's init until it execs the user's
// command, and the exec stub that joins a running container (its C
// constructor in container/nsenter joins the namespaces before the Go
// runtime starts). It is mydocker's own code for those two roles, built
// apart so that it links only the packages used inside: it starts on
// every run and exec, and the whole CLI's package initialisation would
// cost each of them several milliseconds for nothing. `make build` puts
// it beside mydocker; container.OpenSealedSelf finds it there.
package main

import (
	"fmt"
	"os"
	"runtime"

	"mydocker/constant"
	"mydocker/container/inside"
	_ "mydocker/container/nsenter"
)

func init() {
	if inside.IsRole(os.Args) {
		runtime.LockOSThread()
	}
}

func main() {
	inside.RunRole(os.Args) // does not return for init and nsexec
	fmt.Fprintln(os.Stderr, "mydocker-inside: started by mydocker run and exec, not by hand (try: mydocker --help)")
	os.Exit(constant.ExitMydocker)
}
