package spec

import (
	"os"
	"regexp"
	"testing"
)

// The host side names the variables from spec, the exec stub's C code
// (container/nsenter, built into mydocker-init) has them written in: the
// two must not drift apart.
func TestExecStubNamesAreSpecs(t *testing.T) {
	header, err := os.ReadFile("../nsenter/nsexec.h")
	if err != nil {
		t.Fatal(err)
	}
	defines := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^#define (\w+) "([^"]*)"$`).FindAllStringSubmatch(string(header), -1) {
		defines[m[1]] = m[2]
	}
	for macro, want := range map[string]string{
		"NSENTER_ENV":      ExecNamespacesEnv,
		"EXEC_PLAN_ENV":    ExecPlanEnv,
		"EXEC_SYNC_ENV":    ExecSyncEnv,
		"EXEC_CGROUPS_ENV": ExecCgroupsEnv,
	} {
		if defines[macro] != want {
			t.Errorf("nsexec.h %s is %q, spec says %q", macro, defines[macro], want)
		}
	}
	source, err := os.ReadFile("../nsenter/nsexec.c")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`#define PLAN_VERSION "([^"]*)"`).FindSubmatch(source)
	if m == nil || string(m[1]) != ExecPlanVersion {
		t.Errorf("nsexec.c reads plan version %q, spec writes %q", m, ExecPlanVersion)
	}
}
