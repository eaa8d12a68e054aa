package inside

import "mydocker/container/spec"

// IsRole says whether args (a process's os.Args) start the role played
// inside a container in Go: `init`, the container's first process. (A
// process exec'd into a container, `nsexec`, never starts Go: the C of
// container/nsenter takes it to the command.) Its main goroutine must
// stay on the thread the process started with (unshare, capabilities,
// seccomp and the final exec act on the calling thread): the caller locks
// it in its init.
func IsRole(args []string) bool {
	return len(args) > 1 && args[1] == spec.InitCommand
}

// RunRole plays init if args start it, and does not return; it returns
// at once otherwise. Both mydocker and mydocker-inside call it
// first thing: the companion is the one started, mydocker plays the roles
// when it is missing.
func RunRole(args []string) {
	if !IsRole(args) {
		return
	}
	InitMain() // does not return
}
