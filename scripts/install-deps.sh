#!/bin/sh
# Install, from Debian's packages, whatever the build and the tests need
# and this machine lacks: busybox-static (the test image), gcc,
# libc6-dev and musl-tools (mydocker-init, the static C program of --init
# and exec, linked with musl),
# iptables (NAT and published ports), make, and the util-linux/procps
# tools the tests call; and the peers the image tests and the pull
# benchmark check mydocker against: podman with runc (crun cannot run on
# every host), docker-registry (the CNCF registry), skopeo, and
# apache2-utils for htpasswd (the registry's basic auth); mmdebstrap,
# which makes a real Debian rootfs from Debian's packages for the image
# tests; catatonit, from which podman builds its local pause image for
# pods (podman 4.3 pulls no infra image when none is set); zsh, to test
# the completion script in it (bash is always there); man-db, to check
# the generated man page renders; and, with
# --vm (make vmtest), Debian's stock kernel (only its image and modules
# under /boot and /lib/modules are used; no bootloader is installed or
# run) with qemu to boot it, and cpio for its initramfs. Does nothing when
# all are present.
#
# With --build, only what `make build` needs: gcc, libc6-dev, musl-tools
# and a Go toolchain. Debian 12 ships Go 1.19, older than go.mod's; where no Go
# 1.21 or later is found, golang-go comes from bookworm-backports (the
# backports source is added if missing), and GOTOOLCHAIN=auto (set by the
# Makefile) then fetches the exact Go that go.mod names through the Go
# module proxy, checked against Go's checksum database.
set -eu
packages="busybox-static gcc libc6-dev musl-tools make util-linux procps iptables
podman runc docker-registry skopeo apache2-utils mmdebstrap zsh man-db catatonit strace"
case "${1:-}" in
--vm) packages="$packages linux-image-amd64 qemu-system-x86 cpio" ;;
--build) packages="gcc libc6-dev musl-tools" ;;
esac

# go_ok says whether a Go that can fetch go.mod's toolchain (1.21 or
# later: GOTOOLCHAIN) is where the Makefile looks for one.
go_ok() {
	for go in "$(command -v go 2>/dev/null || true)" /usr/local/go/bin/go; do
		[ -x "$go" ] || continue
		minor=$(cd / && GOTOOLCHAIN=local "$go" env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
		[ -n "$minor" ] && [ "$minor" -ge 21 ] && return 0
	done
	return 1
}

# install_go installs golang-go from bookworm-backports on Debian 12.
install_go() {
	. /etc/os-release
	if [ "${VERSION_CODENAME:-}" != bookworm ]; then
		echo "no Go 1.21 or later found: install one (https://go.dev/doc/install) or Debian's golang-go where it is 1.21 or later" >&2
		exit 1
	fi
	if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
			>/etc/apt/sources.list.d/bookworm-backports.sources
		echo "added bookworm-backports to apt's sources, for Go" >&2
	fi
	echo "installing golang-go from bookworm-backports" >&2
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -t bookworm-backports golang-go >/dev/null
}
missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

# Podman reads default ulimits from containers.conf; where the host's
# hard limits are lower than its built-in defaults it cannot start a
# container, so an empty list is written unless the admin has a file.
containers_conf() {
	conf=/etc/containers/containers.conf
	[ -e "$conf" ] && return 0
	mkdir -p /etc/containers
	printf '[containers]\ndefault_ulimits = []\n' >"$conf.tmp"
	mv "$conf.tmp" "$conf"
}

need_go=""
go_ok || need_go=1
if [ -z "$missing" ] && [ -z "$need_go" ]; then
	[ "$(id -u)" != 0 ] || [ "${1:-}" = --build ] || containers_conf
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	[ -z "$need_go" ] || echo "no Go 1.21 or later: as root, make installs golang-go from bookworm-backports" >&2
	[ -z "$missing" ] || echo "missing packages:$missing; as root: apt-get install$missing" >&2
	exit 1
fi
# An install cut short (a killed apt-get, a machine stopped mid-upgrade)
# leaves packages unpacked but not configured, and apt-get then refuses
# every install until dpkg finishes the job; finish it first.
if [ -n "$(dpkg --audit 2>/dev/null)" ]; then
	echo "dpkg was interrupted before: finishing its configuration (dpkg --configure -a)" >&2
	DEBIAN_FRONTEND=noninteractive dpkg --configure -a >/dev/null
fi
[ -z "$need_go" ] || install_go
if [ -z "$missing" ]; then
	[ "${1:-}" = --build ] || containers_conf
	exit 0
fi
echo "installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086 # word splitting of the list is intended
apt-get install -y -q --no-install-recommends $missing >/dev/null
[ "${1:-}" = --build ] || containers_conf
