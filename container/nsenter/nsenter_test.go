package nsenter

import (
	"os"
	"regexp"
	"testing"

	"mydocker/container/spec"
)

// The host side names the variables from spec, the C code has them
// written in: the two must not drift apart.
func TestEnvVarsAreSpecs(t *testing.T) {
	if EnvVar != spec.ExecNamespacesEnv {
		t.Fatalf("nsenter.EnvVar %q, spec.ExecNamespacesEnv %q", EnvVar, spec.ExecNamespacesEnv)
	}
	header, err := os.ReadFile("nsexec.h")
	if err != nil {
		t.Fatal(err)
	}
	defines := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^#define (\w+) "([^"]*)"$`).FindAllStringSubmatch(string(header), -1) {
		defines[m[1]] = m[2]
	}
	for macro, want := range map[string]string{
		"NSENTER_ENV":      spec.ExecNamespacesEnv,
		"EXEC_PLAN_ENV":    spec.ExecPlanEnv,
		"EXEC_SYNC_ENV":    spec.ExecSyncEnv,
		"EXEC_CGROUPS_ENV": spec.ExecCgroupsEnv,
	} {
		if defines[macro] != want {
			t.Errorf("nsexec.h %s is %q, spec says %q", macro, defines[macro], want)
		}
	}
	source, err := os.ReadFile("nsexec.c")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`#define PLAN_VERSION "([^"]*)"`).FindSubmatch(source)
	if m == nil || string(m[1]) != spec.ExecPlanVersion {
		t.Errorf("nsexec.c reads plan version %q, spec writes %q", m, spec.ExecPlanVersion)
	}
}
