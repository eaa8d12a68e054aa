package main

import (
	"os"
	"strconv"

	"github.com/pkg/errors"
	"github.com/urfave/cli"

	"mydocker/trace"
)

// traceEnv turns --trace on from the environment (course mode sets it).
const traceEnv = "MYDOCKER_TRACE"

// setupTrace turns the trace on for this process: its lines go to
// stderr, beside the diagnostics, never to stdout, which carries only
// what a script wants.
func setupTrace(ctx *cli.Context) error {
	on := ctx.GlobalBool("trace")
	// Read here rather than by cli, whose error for a bad value would not
	// name the variable.
	if v := os.Getenv(traceEnv); v != "" {
		env, err := strconv.ParseBool(v)
		if err != nil {
			return errors.Errorf("invalid %s=%q: want 1 or 0 (true or false)", traceEnv, v)
		}
		on = on || env
	}
	if on {
		trace.Enable(os.Stderr)
	}
	return nil
}
