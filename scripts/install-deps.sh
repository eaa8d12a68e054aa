#!/bin/sh
# Install, from Debian's packages, whatever the build and the tests need
# and this machine lacks: busybox-static (the test image), gcc and
# libc6-dev (cgo for exec's nsenter; libc.a for the static build),
# iptables (NAT and published ports), make, the util-linux/procps
# tools the tests call, and podman (a second implementation the image
# layer tests check mydocker's layers against). Does nothing when all are
# present.
set -eu
packages="busybox-static gcc libc6-dev make util-linux procps iptables podman"
missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "missing packages:$missing; as root: apt-get install$missing" >&2
	exit 1
fi
echo "installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086 # word splitting of the list is intended
apt-get install -y -q --no-install-recommends $missing >/dev/null
