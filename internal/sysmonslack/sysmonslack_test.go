package sysmonslack

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

const (
	childEnv = "SYSMONSLACK_TEST_CHILD"
	// wrapped is what a child prints when thread IDs had wrapped around
	// since it started, so that its sysmon could not be told apart.
	wrapped = "sysmonslack: thread IDs wrapped around"
)

// The test binary imports the package: its init has run. sysmon's thread
// has the slack and the main thread does not. (Threads the runtime starts
// from sysmon inherit it, so no other thread is checked.) When thread IDs
// wrapped around since the process started, the package rightly did
// nothing; the test then checks a fresh process of its own.
func TestOnlySysmonSleepsWithSlack(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		checkThreads(t)
		return
	}
	for i := 0; i < 20; i++ {
		if _, ok := sysmonThread(); ok {
			checkThreads(t)
			return
		}
		c := exec.Command(os.Args[0], "-test.run=^TestOnlySysmonSleepsWithSlack$", "-test.count=1", "-test.v")
		c.Env = append(os.Environ(), childEnv+"=1")
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", c, err, out)
		}
		if !strings.Contains(string(out), wrapped) {
			return // the child found its sysmon and checked it
		}
	}
	t.Fatal("in 20 processes, thread IDs always wrapped around as they started")
}

func checkThreads(t *testing.T) {
	tid, ok := sysmonThread()
	if !ok {
		t.Log(wrapped)
		return
	}
	if !sleepsInNanosleep(t, tid) {
		t.Errorf("thread %d never sleeps in nanosleep(2) while the program is busy: it is not sysmon", tid)
	}
	if got := slackOf(t, tid); got != Slack {
		t.Errorf("sysmon (thread %d): timer slack %d ns, want %d", tid, got, Slack)
	}
	if main := os.Getpid(); slackOf(t, main) == Slack {
		t.Errorf("the main thread (%d) has sysmon's timer slack (%d ns)", main, Slack)
	}
}

// sleepsInNanosleep reports whether thread tid is seen in nanosleep(2)
// while another goroutine keeps the program busy. sysmon sleeps there (the
// runtime's usleep); the runtime's other threads wait on futexes, and
// sysmon too once every P is idle, hence the busy goroutine.
func sleepsInNanosleep(t *testing.T, tid int) bool {
	t.Helper()
	const nanosleep = "35 " // the system call number on amd64, first in /proc/TID/syscall
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				os.Getpid()
			}
		}
	}()
	path := "/proc/self/task/" + strconv.Itoa(tid) + "/syscall"
	for i := 0; i < 10000; i++ {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(string(b), nanosleep) {
			return true
		}
	}
	return false
}

func slackOf(t *testing.T, tid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/timerslack_ns")
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
