// Package spec is what the host side and the inside of a container share:
// the configs the host hands to init and to the exec stub (InitConfig,
// Mount, ExecPlan), and the protocol they speak (sync.go).
//
// It runs in both processes and holds no behaviour beyond encoding and
// framing, so that neither side imports the other: the host side
// (package container) and the inside (package inside) meet only here.
package spec
