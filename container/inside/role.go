package inside

import "mydocker/container/spec"

// IsRole says whether args (a process's os.Args) start one of the two
// roles played inside a container: `init`, the container's first process,
// or `nsexec`, a process exec'd into it. Their main goroutine must stay
// on the thread the process started with (unshare, capabilities, seccomp
// and the final exec act on the calling thread): the caller locks it in
// its init.
func IsRole(args []string) bool {
	return len(args) > 1 && (args[1] == spec.InitCommand || args[1] == spec.ExecCommand)
}

// RunRole plays the role args start, and does not return; it returns at
// once if they start none. Both mydocker and mydocker-inside call it
// first thing: the companion is the one started, mydocker plays the roles
// when it is missing.
func RunRole(args []string) {
	if !IsRole(args) {
		return
	}
	if args[1] == spec.InitCommand {
		InitMain() // does not return
	}
	ExecMain() // does not return
}
