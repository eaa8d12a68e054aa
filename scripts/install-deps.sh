#!/bin/sh
# Install, from Debian's packages, whatever the build and the tests need
# and this machine lacks: busybox-static (the test image), gcc and
# libc6-dev (cgo for exec's nsenter; libc.a for the static build),
# iptables (NAT and published ports), make, and the util-linux/procps
# tools the tests call; and the peers the image tests and the pull
# benchmark check mydocker against: podman with runc (crun cannot run on
# every host), docker-registry (the CNCF registry), skopeo, and
# apache2-utils for htpasswd (the registry's basic auth); catatonit,
# from which podman builds its local pause image for pods (podman 4.3
# pulls no infra image when none is set); zsh, to test
# the completion script in it (bash is always there); and, with
# --vm (make vmtest), Debian's stock kernel (only its image and modules
# under /boot and /lib/modules are used; no bootloader is installed or
# run) with qemu to boot it, and cpio for its initramfs. Does nothing when
# all are present.
set -eu
packages="busybox-static gcc libc6-dev make util-linux procps iptables
podman runc docker-registry skopeo apache2-utils zsh catatonit"
if [ "${1:-}" = --vm ]; then
	packages="$packages linux-image-amd64 qemu-system-x86 cpio"
fi
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

if [ -z "$missing" ]; then
	[ "$(id -u)" != 0 ] || containers_conf
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "missing packages:$missing; as root: apt-get install$missing" >&2
	exit 1
fi
echo "installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086 # word splitting of the list is intended
apt-get install -y -q --no-install-recommends $missing >/dev/null
containers_conf
