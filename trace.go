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
	// cli ignores an environment value it cannot parse: refuse it, so a
	// misspelt MYDOCKER_TRACE=yes does not silently trace nothing.
	if v, ok := os.LookupEnv(traceEnv); ok && v != "" {
		if _, err := strconv.ParseBool(v); err != nil {
			return errors.Errorf("invalid %s=%q: want 1 or 0 (true or false)", traceEnv, v)
		}
	}
	if ctx.GlobalBool("trace") {
		trace.Enable(os.Stderr)
	}
	return nil
}
