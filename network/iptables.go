package network

import (
	"os"
	"os/exec"
	"strings"

	"github.com/pkg/errors"
	log "github.com/sirupsen/logrus"
)

// Every rule mydocker adds carries a comment naming its owner, so cleanup
// finds and deletes exactly its own rules, even after a crash lost the
// record of which rules were added.
func netComment(bridge string) string { return "mydocker-net:" + bridge }
func ctrComment(id string) string     { return "mydocker:" + id }

// iptables runs the iptables command, waiting for its lock (-w) so
// parallel mydocker processes do not fail on each other.
func iptables(args ...string) (string, error) {
	cmd := exec.Command("iptables", append([]string{"-w", "10"}, args...)...)
	out, err := cmd.CombinedOutput()
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

// sysctl writes a value under /proc/sys.
func sysctl(path, value string) error {
	p := "/proc/sys/" + path
	if err := os.WriteFile(p, []byte(value), 0o644); err != nil {
		return errors.Wrapf(err, "set %s", p)
	}
	return nil
}
