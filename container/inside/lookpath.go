package inside

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"mydocker/constant"
	"mydocker/container/accounts"
	"mydocker/container/confine"
	"mydocker/container/security"
	"mydocker/container/spec"
	"mydocker/utils"
)

// defaultTimerSlack is the kernel's default timer slack, in ns, which a
// container's command starts with (exec's stub: DEFAULT_TIMER_SLACK_NS).
const defaultTimerSlack = 50000

// execCommand is how init and nsexec both end: it resolves user in the
// container's /etc/passwd and /etc/group (HOME comes from there unless env
// sets it), finds args[0] in env's PATH, from the working directory
// already entered, closes every descriptor but 0-2, runs ready (init
// tells the host it is about to exec), sets the kernel's default timer
// slack, confines the thread, switches to the user and execs. It returns
// only on failure, with the contract's exit code: 125 for a user that
// does not exist, 126 or 127 where the command is at fault.
func execCommand(args, env []string, user string, extras spec.ProcessExtras, reaper *os.File, sec *security.Security, filter *confine.Filter, ready func() error) error {
	root, err := openRoot("/")
	if err != nil {
		return err
	}
	u, err := accounts.Lookup(root.f, user, extras.GroupAdd)
	root.Close()
	if err != nil {
		return err
	}
	if err := setRlimits(extras.Rlimits); err != nil {
		return err
	}
	env = accounts.WithHome(env, u.Home)
	path, err := lookPath(args[0], spec.SearchPath(env))
	if err != nil {
		return err
	}
	if reaper != nil {
		// --init: the reaper runs the command found here. It is exec'd
		// through its descriptor, which stays close-on-exec, so it holds
		// nothing once it runs.
		args = append([]string{"mydocker-init", path}, args...)
		path = "/proc/self/fd/" + strconv.Itoa(int(reaper.Fd()))
	}
	// The user's command gets only fds 0-2: not our pipes, and not
	// whatever the shell that ran mydocker left open.
	if err := utils.CloseExecFrom(3); err != nil {
		return err
	}
	if ready != nil {
		if err := ready(); err != nil {
			return err
		}
	}
	// The kernel's default timer slack, whichever thread of the CLI or the
	// monitor started init: one the Go runtime started from its sysmon
	// has sysmon's 1 ms (internal/sysmonslack), and init's main thread,
	// which becomes the command, would have passed it on.
	if err := unix.Prctl(unix.PR_SET_TIMERSLACK, defaultTimerSlack, 0, 0, 0); err != nil {
		return fmt.Errorf("set timer slack: %w", err)
	}
	// Last: nothing done after this needs what it takes away, root
	// included.
	if err := confine.Confine(sec, &u.ID, filter); err != nil {
		return err
	}
	return execError(args[0], unix.Exec(path, args, env))
}

// lookPath finds the user's command in the container's PATH, after
// pivot_root, the way a shell does. Its errors carry the contract's exit
// codes: 127 when nothing is found, 126 when something is found but
// cannot be executed.
func lookPath(name, path string) (string, error) {
	if strings.Contains(name, "/") {
		if err := checkExecutable(name); err != nil {
			return "", execError(name, err)
		}
		return name, nil
	}
	var denied error
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		err := checkExecutable(p)
		if err == nil {
			return p, nil
		}
		if err != unix.ENOENT && err != unix.ENOTDIR && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", execError(name, denied)
	}
	return "", fail(constant.ExitNotFound, fmt.Errorf("exec %q: executable file not found in $PATH", name))
}

// checkExecutable reports ENOENT, EISDIR or EACCES for p.
func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		if os.IsNotExist(err) {
			return unix.ENOENT
		}
		return unix.EACCES
	}
	if fi.IsDir() {
		return unix.EISDIR
	}
	if fi.Mode()&0o111 == 0 {
		return unix.EACCES
	}
	return nil
}

// execError maps a failed lookup or execve to the code a shell would use.
func execError(name string, err error) error {
	var code int
	switch err {
	case unix.ENOENT, unix.ENOTDIR:
		code = constant.ExitNotFound
	default: // EACCES, EISDIR, ENOEXEC, EPERM: found but not runnable
		code = constant.ExitNotExecutable
	}
	var reason string
	switch err {
	case unix.ENOENT:
		reason = "no such file or directory"
	case unix.EISDIR:
		reason = "is a directory"
	case unix.EACCES:
		reason = "permission denied"
	default:
		reason = err.Error()
	}
	return fail(code, fmt.Errorf("exec %q: %s", name, reason))
}
