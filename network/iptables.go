package network

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"

	"mydocker/trace"
)

// Every rule mydocker adds carries a comment naming its owner, so cleanup
// finds and deletes exactly its own rules, even after a crash lost the
// record of which rules were added.
func netComment(bridge string) string { return "mydocker-net:" + bridge }
func ctrComment(id string) string     { return "mydocker:" + id }

// iptables runs the iptables command, waiting for its lock (-w) so
// parallel mydocker processes do not fail on each other.
//
// It dies with us: an iptables left running by a mydocker killed
// mid-way would add its rule after the next mydocker, holding the store
// lock, rolled back what the killed one made (a network's create, a
// container's ports), and the rule would stay with no record naming it.
// The parent death signal comes from the thread that started the child,
// so that thread stays ours until the child is done.
func iptables(args ...string) (string, error) {
	cmd := exec.Command("iptables", append([]string{"-w", "10"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	done := traceRule(args)
	runtime.LockOSThread()
	out, err := cmd.CombinedOutput()
	runtime.UnlockOSThread()
	done(err)
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", errors.New("iptables is not installed (apt-get install iptables)")
		}
		return "", errors.Errorf("iptables %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// rule is one iptables rule: table, chain and match/target arguments.
type rule struct {
	table, chain string
	args         []string
}

func addRules(rules []rule, comment string, insert bool) error {
	for _, r := range rules {
		op := "-A"
		if insert {
			op = "-I"
		}
		args := append([]string{"-t", r.table, op, r.chain}, r.args...)
		args = append(args, "-m", "comment", "--comment", comment)
		if _, err := iptables(args...); err != nil {
			return err
		}
	}
	return nil
}

// deleteRules removes every rule in the given tables carrying comment.
func deleteRules(comment string, tables ...string) error {
	for _, table := range tables {
		out, err := iptables("-t", table, "-S")
		if err != nil {
			return err
		}
		for _, line := range strings.Split(out, "\n") {
			fields := strings.Fields(line)
			if len(fields) < 2 || fields[0] != "-A" || !hasComment(fields, comment) {
				continue
			}
			for i := range fields {
				fields[i] = strings.Trim(fields[i], `"`)
			}
			fields[0] = "-D"
			if _, err := iptables(append([]string{"-t", table}, fields...)...); err != nil {
				return err
			}
			log.Debugf("removed iptables rule %s", line)
		}
	}
	return nil
}

func hasComment(fields []string, comment string) bool {
	for i := 0; i+1 < len(fields); i++ {
		if fields[i] == "--comment" && strings.Trim(fields[i+1], `"`) == comment {
			return true
		}
	}
	return false
}

// traceRule starts tracing an iptables command that changes a rule (a
// listing changes nothing: it is not a step). A network's own rules are
// chapter 16's NAT, a container's its published ports.
func traceRule(args []string) func(error) {
	changes, topic := false, trace.Endpoint
	for _, a := range args {
		switch {
		case a == "-A" || a == "-I" || a == "-D":
			changes = true
		case strings.HasPrefix(a, "mydocker-net:"):
			topic = trace.Bridge
		}
	}
	if !changes {
		return func(error) {}
	}
	return trace.Begin(topic, "iptables %s", quoteArgs(args))
}

// quoteArgs spells args as a shell would need them.
func quoteArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "" || strings.ContainsAny(a, " !\"'$*") {
			out[i] = "'" + a + "'"
		}
	}
	return strings.Join(out, " ")
}

// sysctl writes a value under /proc/sys.
func sysctl(path, value string) error {
	p := "/proc/sys/" + path
	done := trace.Begin(trace.Bridge, "sysctl -w %s=%s", strings.ReplaceAll(path, "/", "."), value)
	err := os.WriteFile(p, []byte(value), 0o644)
	done(err)
	if err != nil {
		return errors.Wrapf(err, "set %s", p)
	}
	return nil
}
