// Package nsenter is the exec stub's C side: a constructor that runs
// before the Go runtime starts, joins the namespaces of a running
// container (joining a mount namespace needs a single-threaded process,
// and a Go program has threads before main runs, as runc's nsenter knows),
// forks, and in the child follows the host's spec.ExecPlan to the user's
// command (nsexec.c). A Go runtime never starts on the way. Importing this
// package for its side effect is enough; it does nothing unless the
// environment variable EnvVar is set.
package nsenter

/*
#cgo CFLAGS: -Wall -Werror
#include "nsexec.h"
extern void mydocker_nsenter(void);
void __attribute__((constructor)) mydocker_nsenter_init(void) { mydocker_nsenter(); }
*/
import "C"

// EnvVar lists the namespaces to join in order, as name:fd pairs of
// inherited descriptors: "ipc:5,uts:6,net:7,pid:8,mnt:9". The C code has
// the name written in (nsexec.h); spec.ExecNamespacesEnv is the same name
// for the host side, which does not link this package.
const EnvVar = "_MYDOCKER_NSENTER"
