// Package security says how a container's processes are confined: the
// capability sets a container keeps (Capabilities), the user it runs as
// (ParseUserSpec, Identity) and whether the default seccomp filter and the
// masked paths apply (Security). The host side derives a Security value
// from a container's record and sends it along; package confine applies
// it inside the container. Nothing here touches the calling process.
package security
