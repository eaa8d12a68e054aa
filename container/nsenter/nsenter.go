// Package nsenter joins the namespaces of a running container before the
// Go runtime starts. Joining a mount namespace needs a single-threaded
// process, and a Go program has threads before main runs, so the work is
// done in a C constructor (as runc's nsenter does). Importing this package
// for its side effect is enough; it does nothing unless the environment
// variable EnvVar is set.
package nsenter

/*
#cgo CFLAGS: -Wall -Werror
extern void mydocker_nsenter(void);
void __attribute__((constructor)) mydocker_nsenter_init(void) { mydocker_nsenter(); }
*/
import "C"

// EnvVar lists the namespaces to join in order, as name:fd pairs of
// inherited descriptors: "ipc:5,uts:6,net:7,pid:8,mnt:9". The C code has
// the name written in; spec.ExecNamespacesEnv is the same name for the
// host side, which does not link this package.
const EnvVar = "_MYDOCKER_NSENTER"
