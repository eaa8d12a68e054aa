#!/bin/sh
# Checks the README's set-up claim on a bare Debian 12: mmdebstrap makes a
# minimal Debian 12 root file system, this checkout is cloned into it, the
# README's install lines (the sh block between <!-- setup:begin --> and
# <!-- setup:end -->) run there, and then `make build` and `make image`
# must succeed with nothing else installed by hand. It runs in a chroot
# (the build needs no namespaces); Debian's mirror and the Go module proxy
# are the only sources.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "check-setup: must run as root" >&2; exit 1; }

setup=$(awk '/<!-- setup:begin -->/{on=1; next} /<!-- setup:end -->/{on=0} on && !/^```/' "$top/README.md")
[ -n "$setup" ] || { echo "check-setup: no setup block in README.md" >&2; exit 1; }

dir=$(mktemp -d /var/tmp/mydocker-setup.XXXXXX)
cleanup() {
	for m in "$dir/dev" "$dir/proc"; do
		if mountpoint -q "$m"; then umount -R "$m"; fi
	done
	# Nothing is mounted under the tree any more: deleting it cannot
	# reach the host's /dev.
	if grep -q " $dir/" /proc/self/mounts; then
		echo "check-setup: $dir still has mounts; left in place" >&2
		return
	fi
	rm -rf "$dir"
}
trap cleanup EXIT

echo "check-setup: a bare Debian 12 in $dir" >&2
mmdebstrap --quiet --variant=minbase --mode=root bookworm "$dir"
mount --rbind /dev "$dir/dev"
mount --make-rslave "$dir/dev"
mount -t proc proc "$dir/proc"
cp /etc/resolv.conf "$dir/etc/resolv.conf"
# The certificate authorities this host added to Debian's (regular files
# among the package's symlinks: a network that inspects TLS, say) are
# the chroot's too, as they would be on a fresh machine on that network;
# installing ca-certificates picks them up.
mkdir -p "$dir/usr/local/share/ca-certificates"
find /etc/ssl/certs -maxdepth 1 -type f -name '*.pem' | while read -r pem; do
	cp "$pem" "$dir/usr/local/share/ca-certificates/host-$(basename "$pem" .pem).crt"
done

echo "check-setup: the README's install lines:" >&2
printf '%s\n' "$setup" >&2
chroot "$dir" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	/bin/sh -eux -c "$setup"

# The source, as a clone gives it (the README's clone line names the
# project's own URL).
git clone -q --no-hardlinks "$top" "$dir/root/mydocker"
chroot "$dir" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	/bin/sh -eux -c 'cd /root/mydocker && make build && make image && ./mydocker version'
echo "check-setup: make build and make image work on a bare Debian 12" >&2
