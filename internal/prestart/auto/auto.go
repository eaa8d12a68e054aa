// Package auto starts a foreground run's init from its init, as early as
// a Go program can run code of its own (see package prestart). Only
// mydocker's main package imports it, for that side effect:
//
//	import _ "mydocker/internal/prestart/auto"
//
// The other programs that link package container (the monitor) link
// prestart for its types, and start nothing.
package auto

import "mydocker/internal/prestart"

func init() { prestart.Begin() }
