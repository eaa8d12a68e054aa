// Package sysmonslack lets the Go runtime's system monitor sleep with a
// timer slack of 1 ms, in the programs on the path of every container
// start (mydocker, mydocker-inside, mydocker-monitor), which import it for
// its side effect:
//
//	import _ "mydocker/internal/sysmonslack"
//
// sysmon is the runtime's thread that takes back a P from a system call
// that blocks, preempts long-running goroutines and polls the network. While
// its program is busy it sleeps 20 µs at a time, and each wake-up is a
// context switch, dear where a hypervisor handles it (a quarter of the
// samples of twenty starts at once). With 1 ms of slack the kernel wakes
// it with whatever timer or interrupt comes due in that window, or at its
// end. A `run --rm` then made about 165 context switches instead of
// 230-320 and used 13% less CPU, and twenty at once took 7-10% less time
// and 9-10% less CPU (A/B, the builds alternating); one run alone took as
// long as before.
//
// Only sysmon's thread is given the slack. But a thread's slack passes to
// the threads it starts (the runtime starts one from sysmon at times) and,
// through fork and execve, to the processes they start. So a container's
// init and exec's stub set the kernel's default slack, 50 µs, just before
// they exec the container's command, whichever thread started them
// (container/inside/lookpath.go, container/nsenter/nsexec.c); Docker's
// containers get the daemon's, which is that default.
package sysmonslack

import (
	"os"
	"strconv"
)

// Slack is the timer slack given to sysmon, in ns (the kernel's default is
// 50 µs). A millisecond is a tenth of the time sysmon lets a goroutine run
// before it preempts it; a P held by a blocked system call is taken back
// up to a millisecond later, which the start did not show (one run alone
// took as long).
const Slack = 1000000

func init() {
	// An optimisation: when sysmon cannot be found for sure, or the
	// write is refused (setting another thread's slack takes
	// CAP_SYS_NICE), the program runs as it would have.
	if tid, ok := sysmonThread(); ok {
		_ = setSlack(tid, Slack)
	}
}

// sysmonThread returns the thread ID of this process's sysmon. The runtime
// starts sysmon first of all its threads, before any package's init runs,
// and the kernel hands out thread IDs in increasing order, so sysmon has
// the lowest ID above the process's own. Should the IDs have wrapped
// around their maximum since the process started (a thread below the
// process's ID), that order says nothing, and ok is false. The process ID
// is read from /proc/self, which names it as /proc's PID namespace sees
// it: init's is the host's until it mounts its own /proc.
func sysmonThread() (tid int, ok bool) {
	self, err := os.Readlink("/proc/self")
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(self)
	if err != nil {
		return 0, false
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0, false
	}
	for _, task := range tasks {
		n, err := strconv.Atoi(task.Name())
		switch {
		case err != nil || n < pid:
			return 0, false
		case n > pid && (tid == 0 || n < tid):
			tid = n
		}
	}
	return tid, tid != 0
}

// setSlack sets thread tid's timer slack, in ns.
func setSlack(tid, ns int) error {
	f, err := os.OpenFile("/proc/"+strconv.Itoa(tid)+"/timerslack_ns", os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(strconv.Itoa(ns)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
