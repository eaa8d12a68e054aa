// GOMAXPROCS is set once at start: Go 1.25's runtime otherwise re-reads
// the cgroup's CPU limit every second for the life of the process, and a
// detached container's monitor lives as long as the container, idle.
//
//go:debug updatemaxprocs=0

// Command mydocker is a daemonless container CLI: each command runs, does
// its work on the state under its root and exits; a small per-container
// monitor process watches each running container.
package main

import (
	"fmt"
	"os"
	"runtime"

	log "github.com/sirupsen/logrus"

	// For their init, which runs before any package that allocates much:
	// they make the Go runtime cheaper in page faults and context
	// switches, on the path of every container start.
	_ "mydocker/internal/hugeheap"
	_ "mydocker/internal/sysmonslack"
	// For its init, which starts a foreground run's init before the
	// rest of the program is initialised (see package prestart).
	_ "mydocker/internal/prestart/auto"

	"mydocker/container"
	"mydocker/container/inside"
	"mydocker/container/spec"
)

func init() {
	// `mydocker init` becomes the container's first process when the
	// companion mydocker-inside is missing (an exec'd one, `nsexec`, runs
	// from mydocker-init, which is C).
	// A monitor too: it forks init and may exec itself afresh from the
	// main thread (container/respawn.go).
	if inside.IsRole(os.Args) || container.IsMonitor(os.Args) {
		runtime.LockOSThread()
	}
}

func main() {
	if container.IsAssembler(os.Args) {
		// mydocker-kube (or a plain go build) assembling a filter for a
		// program without the assembler (seccomp_assembler.go).
		os.Exit(container.RunAssembler(os.Args, inProcessAssembler))
	}
	inside.RunRole(os.Args) // returns only for the CLI's own commands
	if container.IsMonitor(os.Args) {
		// A detached container's monitor, when mydocker-monitor is missing.
		os.Exit(container.RunMonitor(os.Args[1:]))
	}
	go container.WarmRecordCodec() // on the other CPU, while the command line is parsed
	log.SetOutput(os.Stderr)
	log.SetFormatter(&log.TextFormatter{DisableTimestamp: true})
	log.SetLevel(log.WarnLevel)
	os.Exit(run(os.Args))
}

// run executes the CLI and turns its error into one line on stderr and the
// contract's exit code.
func run(args []string) int {
	err := handOver(newApp().Run(args))
	if err == nil {
		return 0
	}
	code := spec.ExitCode(err)
	if msg := err.Error(); msg != "" {
		fmt.Fprintln(os.Stderr, "mydocker: "+msg)
	}
	return code
}
