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
