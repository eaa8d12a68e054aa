#!/bin/sh
# Build <root>/image/busybox.tar from Debian's busybox-static: a rootfs with
# the static busybox, its applets as symlinks, and the few files in /etc a
# shell expects. Usage: make-busybox-image.sh ROOT
set -eu
root=${1:?usage: $0 STATE_ROOT}
busybox=/bin/busybox
# Where there is no dpkg (a minimal VM or initramfs) the busybox already
# in place is used as it is: it must be a static one, as busybox-static's.
if ! command -v dpkg-query >/dev/null; then
	if ! "$busybox" true 2>/dev/null; then
		echo "no dpkg and no working $busybox: put a static busybox there" >&2
		exit 1
	fi
elif ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "ok installed"; then
	if [ "$(id -u)" != 0 ]; then
		echo "busybox-static is not installed; as root: apt-get install busybox-static" >&2
		exit 1
	fi
	echo "installing busybox-static" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox-static >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rootfs=$tmp/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/root" "$rootfs/tmp" "$rootfs/proc" \
	"$rootfs/sys" "$rootfs/dev" "$rootfs/var/www"
chmod 1777 "$rootfs/tmp"
cp "$busybox" "$rootfs/bin/busybox"
# --install -s links every applet to /bin/busybox (absolute links, valid inside).
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s /bin/busybox "$rootfs/bin/$applet"
done
ln -s bin "$rootfs/sbin"
mkdir -p "$rootfs/usr"
ln -s ../bin "$rootfs/usr/bin"
ln -s ../bin "$rootfs/usr/sbin"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
mkdir -p "$root/image"
tar -C "$rootfs" --numeric-owner -cf "$root/image/.busybox.tar.tmp" .
mv "$root/image/.busybox.tar.tmp" "$root/image/busybox.tar"
echo "built $root/image/busybox.tar" >&2
