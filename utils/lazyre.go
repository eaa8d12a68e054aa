package utils

import (
	"regexp"
	"sync"
)

// LazyRegexp compiles expr the first time the returned function is
// called. Every mydocker process (the CLI, the monitor, init) runs every
// package's initialisation, and a validation pattern with counted
// repetitions such as {0,62} compiles into a large program: compiled at
// start-up they cost each process about a millisecond, for patterns most
// commands never use.
func LazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
