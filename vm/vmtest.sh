#!/bin/sh
# Run the end-to-end suite on a pure cgroup v2 kernel: Debian's stock
# kernel under qemu (KVM when it works, TCG otherwise), booted with
# cgroup_no_v1=all. The guest's root is this machine's root, shared
# read-only over 9p under a tmpfs overlay, so the suite runs against the
# same ./mydocker, the same tests binary (built here with go test -c) and
# the same peers (iptables, podman, skopeo, the registry, go) as on the
# host; only the kernel and its cgroup hierarchy differ. The exit status
# is the suite's, carried back in a file on a second, writable share:
# qemu's own status says nothing about the guest.
#
# Settings, from the environment:
#   VMTEST_RUN      a -test.run regex (default: every test)
#   VMTEST_SKIP     an extended regex (grep -E) of top-level tests to leave out
#   VMTEST_CMD      a shell command to run in the guest instead of the suite
#   VMTEST_SHARDS   test processes sharing the tests (default: one per CPU)
#   VMTEST_INIT     busybox (default) or systemd: the guest's PID 1; under
#                   systemd new containers get the systemd cgroup driver
#   VMTEST_TIMEOUT  seconds before qemu is killed (default 2700)
#   VMTEST_ACCEL    kvm or tcg (default: kvm if it can boot the kernel)
#   VMTEST_KERNEL   the kernel version under /boot and /lib/modules
#                   (default: the newest)
#   VMTEST_CPUS, VMTEST_MEM (MiB), VMTEST_APPEND (kernel command line)
# The full verbose log is left in .vmtest/test.log.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
build=$top/.vmtest
# A guard against hangs, not the budget: under TCG the whole suite takes
# about 8 minutes on a 2-core machine, more when other jobs share it.
timeout_s=${VMTEST_TIMEOUT:-2700}
mem=${VMTEST_MEM:-3072}
cpus=${VMTEST_CPUS:-2}

die() {
	echo "vmtest: $*" >&2
	exit 1
}

for tool in qemu-system-x86_64 modprobe cpio timeout; do
	command -v "$tool" >/dev/null || die "$tool not found: run scripts/install-deps.sh"
done
[ -x /bin/busybox ] || die "/bin/busybox not found: run scripts/install-deps.sh"
[ -x ./mydocker ] || die "./mydocker not built: run make build"

# Debian's kernel: the newest with both an image and its modules, since
# the initramfs and the guest load modules for exactly that version.
kver=${VMTEST_KERNEL:-}
if [ -z "$kver" ]; then
	for k in $(ls /boot/vmlinuz-* 2>/dev/null | sort -V); do
		v=${k#/boot/vmlinuz-}
		[ ! -d "/lib/modules/$v" ] || kver=$v
	done
fi
[ -n "$kver" ] && [ -r "/boot/vmlinuz-$kver" ] && [ -d "/lib/modules/$kver" ] ||
	die "no kernel with modules under /boot and /lib/modules: apt-get install linux-image-amd64"

mkdir -p "$build"
go test -c -o "$build/tests.test" ./tests
# The programs the tests run inside containers, built here too: in the
# guest, go would compile them under an emulated CPU, and from scratch
# when this machine's build cache is not where the guest looks (HOME).
rm -rf "$build/helpers" && mkdir -p "$build/helpers"
for d in tests/testdata/*/; do
	[ -e "$d/main.go" ] || continue
	CGO_ENABLED=0 go build -o "$build/helpers/$(basename "$d")" "./$d"
done
# And the real Debian rootfs the image tests import: mmdebstrap needs
# Debian's mirror, which the guest cannot reach.
mmdebstrap --quiet --variant=minbase --mode=root --format=tar bookworm "$build/helpers/debian.tar"

# The initramfs: static busybox, the first stage, and the modules needed
# before the host's root (and with it /lib/modules) is mounted, in the
# load order modprobe resolves against the kernel's modules.dep.
initrd=$build/initramfs
rm -rf "$initrd" && mkdir -p "$initrd/bin" "$initrd/modules" "$initrd/proc" "$initrd/sys" "$initrd/dev"
cp /bin/busybox "$initrd/bin/busybox"
cp vm/init "$initrd/init"
printf '#!/bin/busybox sh\necho vmtest-probe-ok\n/bin/busybox poweroff -f\n' >"$initrd/probe"
chmod +x "$initrd/probe"
: >"$initrd/modules/order"
for m in virtio_pci 9pnet_virtio 9p overlay; do
	modprobe -S "$kver" --show-depends "$m" | while read -r cmd path _; do
		[ "$cmd" = insmod ] || continue
		base=$(basename "$path")
		grep -qx "$base" "$initrd/modules/order" && continue
		cp "$path" "$initrd/modules/$base"
		echo "$base" >>"$initrd/modules/order"
	done
done
(cd "$initrd" && find . | cpio -o -H newc --quiet) >"$build/initramfs.cpio"

# KVM only when it can boot this kernel: a nested /dev/kvm may open, and
# qemu report it enabled, yet hang the guest before its first line. So
# the probe boots the initramfs to a stage that just says so.
cpu=max
accel=${VMTEST_ACCEL:-}
if [ -z "$accel" ]; then
	accel=tcg
	if [ -w /dev/kvm ] && (timeout -k 5 30 qemu-system-x86_64 \
		-nodefaults -no-user-config -no-reboot -display none \
		-machine q35 -accel kvm -cpu host -smp 1 -m 256 -serial stdio \
		-kernel "/boot/vmlinuz-$kver" -initrd "$build/initramfs.cpio" \
		-append "console=ttyS0 quiet panic=-1 rdinit=/probe" </dev/null || :) 2>/dev/null |
		grep -q vmtest-probe-ok; then
		accel=kvm
	fi
fi
# KVM passes the host's CPU through ("max" under KVM asks for MSRs a
# nested hypervisor may refuse); TCG emulates all it can.
[ "$accel" != kvm ] || cpu=host

out=$(mktemp -d /tmp/vmtest-out.XXXXXX)
qemu=
trap 'rm -rf "$out"' EXIT
# timeout puts qemu in its own process group, out of reach of the
# terminal's ^C or a CI job's SIGTERM to ours: forward them, then leave.
trap '[ -z "$qemu" ] || kill -TERM "$qemu" 2>/dev/null; wait; exit 130' INT TERM HUP
# shell-quoted, for the guest to source
q() { printf "%s='%s'\n" "$1" "$(printf '%s' "$2" | sed "s/'/'\\\\''/g")"; }
{
	q VMTEST_GUEST "${VMTEST_GUEST:-$top/vm/guest}"
	q VMTEST_DIR "$top"
	q VMTEST_BIN "$build/tests.test"
	q VMTEST_HELPERS "$build/helpers"
	q VMTEST_RUN "${VMTEST_RUN:-}"
	q VMTEST_SKIP "${VMTEST_SKIP:-}"
	q VMTEST_CMD "${VMTEST_CMD:-}"
	q VMTEST_SHARDS "${VMTEST_SHARDS:-$cpus}"
	q VMTEST_ACCEL "$accel"
	q VMTEST_INIT "${VMTEST_INIT:-busybox}"
	# The suite's own timeout fires first, so a hang shows its goroutines.
	q VMTEST_TEST_TIMEOUT "$((timeout_s * 9 / 10))s"
} >"$out/env"

append="console=ttyS0 quiet panic=-1 ${VMTEST_APPEND:-} systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all"
echo "vmtest: booting $kver with $accel, $cpus CPUs, $mem MiB, init ${VMTEST_INIT:-busybox}, timeout ${timeout_s}s"
set +e
timeout -k 10 "$timeout_s" qemu-system-x86_64 \
	-nodefaults -no-user-config -no-reboot -display none \
	-machine q35 -accel "$accel" -cpu "$cpu" -smp "$cpus" -m "$mem" \
	-serial stdio \
	-kernel "/boot/vmlinuz-$kver" -initrd "$build/initramfs.cpio" \
	-append "$append" \
	-fsdev local,id=hostroot,path=/,readonly=on,security_model=none,multidevs=remap \
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
	-fsdev "local,id=out,path=$out,security_model=none" \
	-device virtio-9p-pci,fsdev=out,mount_tag=out </dev/null &
qemu=$!
wait "$qemu"
qrc=$?
qemu=
set -e
[ ! -e "$out/test.log" ] || cp "$out/test.log" "$build/test.log"
case $qrc in
124 | 137)
	# What each test process was doing: its log's end.
	for f in "$out"/test.*.log; do
		[ -e "$f" ] || continue
		echo "vmtest: the end of $(basename "$f"):"
		tail -n 25 "$f"
	done
	die "timed out after ${timeout_s}s: qemu killed"
	;;
0) ;;
*) die "qemu failed with status $qrc" ;;
esac
[ -r "$out/status" ] || die "the guest reported no status: it died before the end (see the console above)"
status=$(cat "$out/status")
case $status in
'' | *[!0-9]*) die "the guest reported a bad status: '$status'" ;;
esac
echo "vmtest: guest exit status $status"
exit "$status"
