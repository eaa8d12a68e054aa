package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// noteState remembers the containers and bridges this env's root has
// now, so the leak check after the test knows what to look for even
// once their records are gone.
func (e *env) noteState() {
	ids := e.containerIDs()
	nets, _ := filepath.Glob(filepath.Join(e.root, "network", "networks", "*.json"))
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range ids {
		if len(id) == 64 {
			e.seenIDs[id] = true
		}
	}
	for _, p := range nets {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var n struct{ Bridge string }
		if json.Unmarshal(data, &n) == nil && n.Bridge != "" {
			e.bridges[n.Bridge] = true
		}
	}
}

// assertNoLeftovers fails the test if anything of its containers or
// networks outlived the cleanup: a process, a cgroup directory, a veth, a
// bridge or an iptables rule. A leak then fails the test that caused it,
// not a later one.
func (e *env) assertNoLeftovers() {
	e.t.Helper()
	e.mu.Lock()
	ids := make([]string, 0, len(e.seenIDs))
	for id := range e.seenIDs {
		ids = append(ids, id)
	}
	var bridges []string
	for b := range e.bridges {
		bridges = append(bridges, b)
	}
	e.mu.Unlock()
	for _, pid := range e.processesOfRoot() {
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		e.t.Errorf("process %d left running: %q", pid, strings.ReplaceAll(string(cmd), "\x00", " "))
		_ = exec.Command("kill", "-9", strconv.Itoa(pid)).Run()
	}
	for _, id := range ids {
		dirs, _ := filepath.Glob("/sys/fs/cgroup/*/mydocker/" + id)
		if v2, err := os.Stat("/sys/fs/cgroup/mydocker/" + id); err == nil && v2.IsDir() {
			dirs = append(dirs, "/sys/fs/cgroup/mydocker/"+id)
		}
		for _, d := range dirs {
			e.t.Errorf("cgroup left: %s", d)
			removeCgroupDir(e.t, d)
		}
		if veth := "mdv" + id[:11]; vethLeft(veth) {
			e.t.Errorf("veth left: %s", veth)
			_ = exec.Command("ip", "link", "del", veth).Run()
		}
	}
	for _, b := range bridges {
		if linkExists(b) {
			e.t.Errorf("bridge left: %s", b)
			_ = exec.Command("ip", "link", "del", b).Run()
		}
	}
	for _, table := range []string{"nat", "filter"} {
		out, err := exec.Command("iptables-save", "-t", table).Output()
		if err != nil {
			e.t.Errorf("iptables-save -t %s: %v", table, err)
			continue
		}
		for _, rule := range strings.Split(string(out), "\n") {
			for _, mark := range append(append([]string{}, ids...), bridges...) {
				if strings.Contains(rule, mark) {
					e.t.Errorf("iptables rule left in %s: %s", table, rule)
					deleteSavedRule(e.t, table, rule)
					break
				}
			}
		}
	}
}

// processesOfRoot lists the processes still tied to this env's root:
// mydocker processes naming it on their command line, and container
// processes, which live in another mount namespace whose overlay lies
// under the root.
func (e *env) processesOfRoot() []int {
	hostMnt, _ := os.Readlink("/proc/self/ns/mnt")
	procs, _ := filepath.Glob("/proc/[0-9]*")
	var pids []int
	for _, p := range procs {
		pid, err := strconv.Atoi(filepath.Base(p))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if st := procState(pid); st == "Z" || st == "" {
			continue // a zombie holds nothing; its parent reaps it
		}
		if cmd, err := os.ReadFile(p + "/cmdline"); err == nil && e.namesRoot(strings.Split(string(cmd), "\x00")) {
			pids = append(pids, pid)
			continue
		}
		if mnt, err := os.Readlink(p + "/ns/mnt"); err != nil || mnt == hostMnt {
			continue
		}
		if e.rootfsIsOurs(p + "/mountinfo") {
			pids = append(pids, pid)
		}
	}
	return pids
}

// namesRoot reports whether a command line names this env's root (the
// root itself or a path under it, not a root whose name merely starts
// the same).
func (e *env) namesRoot(args []string) bool {
	for _, a := range args {
		for _, f := range strings.FieldsFunc(a, func(r rune) bool { return r == '=' || r == ':' || r == ',' }) {
			if f == e.root || strings.HasPrefix(f, e.root+"/") {
				return true
			}
		}
	}
	return false
}

// rootfsIsOurs reports whether the process whose mountinfo this is runs
// in one of this root's containers: its "/" is an overlay whose upper
// directory lies under the root. (A process that has just been cloned and
// not yet pivoted still sees the host's mount table, with every root's
// mounts in it: only its "/" tells whose it is.)
func (e *env) rootfsIsOurs(mountinfoPath string) bool {
	data, err := os.ReadFile(mountinfoPath)
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) < 5 || f[4] != "/" {
			continue
		}
		if strings.Contains(l, "upperdir="+e.root+"/") {
			return true
		}
	}
	return false
}

// leakedCgroups reports, and removes, the container cgroups made since
// start that outlived every test: a container that ran and was removed
// within one command (run --rm) never shows its ID to a test's own leak
// check. A cgroup whose container still has a record under some state
// root (another test run's, or the machine's own) is someone else's.
func leakedCgroups(start time.Time) bool {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/mydocker/*")
	v2, _ := filepath.Glob("/sys/fs/cgroup/mydocker/*")
	scopes, _ := filepath.Glob("/sys/fs/cgroup/system.slice/mydocker-*.scope")
	leaked := false
	for _, d := range append(append(dirs, v2...), scopes...) {
		id := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(d), "mydocker-"), ".scope")
		id = strings.TrimPrefix(id, "monitor-")
		fi, err := os.Stat(d)
		if err != nil || !fi.IsDir() || len(id) != 64 || fi.ModTime().Before(start) {
			continue
		}
		if procs, err := os.ReadFile(filepath.Join(d, "cgroup.procs")); err != nil || len(procs) > 0 {
			continue
		}
		owned, _ := filepath.Glob(filepath.Join(os.TempDir(), "mydocker-*", "containers", id))
		if _, err := os.Stat(filepath.Join("/var/lib/mydocker/containers", id)); err == nil || len(owned) > 0 {
			continue
		}
		fmt.Fprintln(os.Stderr, "cgroup left after the tests:", d)
		leaked = true
		for i := 0; i < 100; i++ {
			if err = os.Remove(d); err == nil || os.IsNotExist(err) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return leaked
}

// deleteSavedRule deletes a rule as iptables-save printed it ("-A CHAIN
// ..."), so a leaked rule fails one test but does not stay on the machine.
func deleteSavedRule(t *testing.T, table, rule string) {
	if !strings.HasPrefix(rule, "-A ") {
		return
	}
	// The shell splits the saved line as iptables-save quoted it.
	if out, err := exec.Command("sh", "-c", "iptables -w -t "+table+" -D "+strings.TrimPrefix(rule, "-A ")).CombinedOutput(); err != nil {
		t.Errorf("delete leaked rule %q: %v: %s", rule, err, out)
	}
}

// removeCgroupDir removes a leaked cgroup, retrying while the kernel
// still counts its exiting tasks, so a leak fails one test but does not
// stay on the machine.
func removeCgroupDir(t *testing.T, dir string) {
	var err error
	for i := 0; i < 100; i++ {
		if err = os.Remove(dir); err == nil || os.IsNotExist(err) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("remove leaked cgroup %s: %v", dir, err)
}

func procState(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 || i+2 >= len(data) {
		return ""
	}
	return string(data[i+2])
}
