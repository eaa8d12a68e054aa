package cgroups

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestDeviceRuleString(t *testing.T) {
	tests := []struct {
		rule DeviceRule
		want string
	}{
		{DeviceRule{"c", 1, 3, "rwm"}, "c 1:3 rwm"},
		{DeviceRule{"b", -1, -1, "m"}, "b *:* m"},
		{DeviceRule{"c", 136, -1, "rw"}, "c 136:* rw"},
		{DeviceRule{"a", -1, -1, "rwm"}, "a *:* rwm"},
	}
	for _, tc := range tests {
		if got := tc.rule.String(); got != tc.want {
			t.Errorf("%+v = %q, want %q", tc.rule, got, tc.want)
		}
		if err := CheckDeviceRule(tc.rule); err != nil {
			t.Errorf("%+v: %v", tc.rule, err)
		}
	}
	for _, bad := range []DeviceRule{{"x", 1, 1, "r"}, {"c", 1, 1, ""}, {"c", 1, 1, "rx"}, {"c", -2, 1, "r"}, {"c", 1, 1 << 33, "r"}} {
		if CheckDeviceRule(bad) == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// deviceProbe runs a shell in cgroup dir (written to procsFile) that
// tries to read /dev/zero and /dev/full and to write /dev/null, and says
// which worked.
func deviceProbe(t *testing.T, procsFile string) string {
	t.Helper()
	script := `echo $$ > "$1" || exit 99
head -c 1 /dev/zero > /dev/null 2>&1 && echo zero
head -c 1 /dev/full > /dev/null 2>&1 && echo full
exec 3>/dev/null && echo null
true`
	out, err := exec.Command("sh", "-c", script, "sh", procsFile).CombinedOutput()
	if err != nil {
		t.Fatalf("probe: %v: %s", err, out)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// withoutFull is the default list without /dev/full (1:7), and /dev/null
// only for writing.
func withoutFull() []DeviceRule {
	var rules []DeviceRule
	for _, r := range DefaultDeviceRules {
		switch {
		case r.Type == "c" && r.Major == 1 && r.Minor == 7:
			continue
		case r.Type == "c" && r.Major == 1 && r.Minor == 3:
			r.Access = "w"
		}
		rules = append(rules, r)
	}
	return rules
}

// The BPF device filter against the kernel: a process in the cgroup can
// open what the rules allow, for the access allowed, and nothing else.
func TestDeviceFilterOnRealCgroup2(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root to create cgroups and load BPF; run the tests as root (make test)")
	}
	dir := filepath.Join(cgroup2Mount(t), "mydocker-devtest-"+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := os.Remove(dir); err != nil {
			t.Error(err)
		}
	}()
	if err := setDevicesV2(dir, &Resources{Devices: withoutFull()}); err != nil {
		t.Fatal(err)
	}
	if got := deviceProbe(t, filepath.Join(dir, "cgroup.procs")); got != "zero null" {
		t.Fatalf("with /dev/full denied and /dev/null write-only: %q, want %q", got, "zero null")
	}
	// A second attach replaces the first (update).
	if err := setDevicesV2(dir, &Resources{Devices: DefaultDeviceRules}); err != nil {
		t.Fatal(err)
	}
	if got := deviceProbe(t, filepath.Join(dir, "cgroup.procs")); got != "zero full null" {
		t.Fatalf("with the default rules: %q", got)
	}
	if err := setDevicesV2(dir, &Resources{Devices: []DeviceRule{{"c", 1, 3, "w"}}}); err != nil {
		t.Fatal(err)
	}
	if got := deviceProbe(t, filepath.Join(dir, "cgroup.procs")); got != "null" {
		t.Fatalf("with only /dev/null for writing: %q", got)
	}
}
