package nsenter

import (
	"testing"

	"mydocker/container/spec"
)

// The host side names the variable from spec, the C code has it written
// in: the two must not drift apart.
func TestEnvVarIsSpecs(t *testing.T) {
	if EnvVar != spec.ExecNamespacesEnv {
		t.Fatalf("nsenter.EnvVar %q, spec.ExecNamespacesEnv %q", EnvVar, spec.ExecNamespacesEnv)
	}
}
