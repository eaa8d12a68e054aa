package prestart

import "syscall"

// Plan is the init a command line asks for, as far as starting it goes:
// the namespaces it gets new (clone flags), its terminal, its stdin, and
// whether its log goes to our stderr (--debug).
type Plan struct {
	Flags             uintptr
	Tty, Stdin, Debug bool
}

// freshNamespaces are a container's new namespaces by default
// (container.DefaultNamespaces).
const freshNamespaces = syscall.CLONE_NEWUTS | syscall.CLONE_NEWPID | syscall.CLONE_NEWNS |
	syscall.CLONE_NEWIPC | syscall.CLONE_NEWNET

// globalValueFlags are mydocker's global flags that take a value; the
// others it has (--debug, --trace, --help) do not.
var globalValueFlags = map[string]bool{"root": true, "log-level": true, "cgroup-manager": true, "mode": true}

// RunBoolFlags are run's flags that take no value: every other flag of
// run takes one, which Plan skips. A test checks the list against run's
// flags; a flag missing here would only make Plan skip a word too many
// and, reading the wrong ones, find no plan or one that the start then
// discards.
var RunBoolFlags = map[string]bool{
	"it": true, "i": true, "interactive": true, "t": true, "tty": true, "d": true, "detach": true,
	"rm": true, "privileged": true, "P": true, "publish-all": true, "read-only": true, "init": true,
	"no-healthcheck": true,
}

// PlanFor reads the command line args (with the program's name first)
// and the environment for a foreground `run` whose init this package
// can start: one in fresh namespaces, but for the network, which it may
// share with the host. It says no to anything else, and to what it does
// not understand: a run given flags that join other namespaces (--ipc,
// --pid, --uts, --pod, a container's network), a detached run, the
// trace (which narrates the steps in the series' order), course mode,
// and the systemd cgroup driver.
func PlanFor(args []string, getenv func(string) string) (Plan, bool) {
	var p Plan
	if getenv("MYDOCKER_TRACE") != "" || getenv("MYDOCKER_CGROUP_MANAGER") == "systemd" ||
		(getenv("MYDOCKER_MODE") != "" && getenv("MYDOCKER_MODE") != "docker") {
		return p, false
	}
	if len(args) < 2 {
		return p, false
	}
	// Global flags, up to the command.
	i := 1
	for ; i < len(args) && len(args[i]) > 1 && args[i][0] == '-'; i++ {
		name, value, hasValue := flagOf(args[i])
		switch {
		case name == "debug" && !hasValue:
			p.Debug = true
		case globalValueFlags[name]:
			if !hasValue {
				if i+1 >= len(args) {
					return p, false
				}
				i++
				value = args[i]
			}
			if (name == "cgroup-manager" && value != "cgroupfs") || (name == "mode" && value != "docker") {
				return p, false
			}
		default:
			return p, false // --trace, --help, or unknown
		}
	}
	if i >= len(args) || args[i] != "run" {
		return p, false
	}
	p.Flags = freshNamespaces
	// run's flags, up to the image.
	for i++; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return p, i+1 < len(args)
		case a == "" || a == "-":
			return p, false
		case a[0] != '-':
			return p, true // the image: what follows is the command's
		}
		name, value, hasValue := flagOf(a)
		if a[1] != '-' && len(name) > 1 && !hasValue && !RunBoolFlags[name] && allShortBools(name) {
			// Short flags together: -ti, -dit.
			for _, c := range name {
				if !p.setBool(string(c)) {
					return p, false
				}
			}
			continue
		}
		if RunBoolFlags[name] {
			if hasValue {
				return p, false // --rm=false and the like
			}
			if !p.setBool(name) {
				return p, false
			}
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return p, false
			}
			i++
			value = args[i]
		}
		switch name {
		case "net", "network":
			switch {
			case value == "host":
				p.Flags &^= syscall.CLONE_NEWNET
			case len(value) >= len("container:") && value[:len("container:")] == "container:":
				return p, false
			default:
				p.Flags |= syscall.CLONE_NEWNET
			}
		case "ipc", "pid", "uts", "pod":
			return p, false
		}
	}
	return p, false // no image
}

// allShortBools says whether every letter of name is a one-letter
// boolean flag of run's, as in -ti.
func allShortBools(name string) bool {
	for _, c := range name {
		if !RunBoolFlags[string(c)] {
			return false
		}
	}
	return true
}

// setBool applies run's boolean flag name; false for one that rules the
// plan out (detached) or that is not a boolean flag.
func (p *Plan) setBool(name string) bool {
	switch name {
	case "d", "detach":
		return false
	case "it":
		p.Tty, p.Stdin = true, true
	case "i", "interactive":
		p.Stdin = true
	case "t", "tty":
		p.Tty = true
	default:
		return RunBoolFlags[name]
	}
	return true
}

// flagOf splits -name, --name and --name=value.
func flagOf(arg string) (name, value string, hasValue bool) {
	name = arg[1:]
	if len(name) > 0 && name[0] == '-' {
		name = name[1:]
	}
	for j := 0; j < len(name); j++ {
		if name[j] == '=' {
			return name[:j], name[j+1:], true
		}
	}
	return name, "", false
}
