package main

import (
	"strings"
	"testing"

	"github.com/urfave/cli"

	"mydocker/internal/prestart"
)

// prestart.PlanFor reads run's command line without its flag definitions:
// its list of the flags that take no value must be run's.
func TestPrestartKnowsRunsBoolFlags(t *testing.T) {
	bools := map[string]bool{}
	for _, f := range runCommand.Flags {
		b, ok := f.(cli.BoolFlag)
		if !ok {
			continue
		}
		for _, name := range strings.Split(b.Name, ",") {
			bools[strings.TrimSpace(name)] = true
		}
	}
	for name := range bools {
		if !prestart.RunBoolFlags[name] {
			t.Errorf("run's boolean flag --%s is not in prestart.RunBoolFlags: PlanFor would take the next word for its value", name)
		}
	}
	for name := range prestart.RunBoolFlags {
		if !bools[name] {
			t.Errorf("prestart.RunBoolFlags has --%s, which is not a boolean flag of run's", name)
		}
	}
}

// prestart.PlanFor reads the environment variables this program reads for
// the trace and the mode by their names: they must be the same names.
func TestPrestartReadsTheSameEnvironment(t *testing.T) {
	args := []string{"mydocker", "run", "busybox", "true"}
	if _, ok := prestart.PlanFor(args, func(string) string { return "" }); !ok {
		t.Fatalf("PlanFor(%q) with no environment: no plan", args)
	}
	for _, env := range []map[string]string{{traceEnv: "1"}, {modeEnv: modeCourse}} {
		if _, ok := prestart.PlanFor(args, func(k string) string { return env[k] }); ok {
			t.Errorf("PlanFor(%q) with %v: a plan, where the trace or course mode rule it out", args, env)
		}
	}
}
