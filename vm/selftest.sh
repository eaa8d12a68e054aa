#!/bin/sh
# The harness's own tests: make vmtest must carry the guest's exit status
# back (not qemu's), fail when the guest dies before reporting one, and
# kill qemu on its timeout. Each case boots the real guest with a command
# in place of the suite.
set -u
cd "$(dirname "$0")/.."
failures=0
log=$(mktemp /tmp/vmtest-selftest.XXXXXX)
trap 'rm -f "$log"' EXIT

# expect NAME STATUS PATTERN [VAR=value...]: vmtest with the settings
# given exits with STATUS and prints PATTERN.
expect() {
	name=$1 want=$2 pattern=$3
	shift 3
	env "$@" sh vm/vmtest.sh >"$log" 2>&1
	got=$?
	if [ "$got" != "$want" ] || ! grep -q "$pattern" "$log"; then
		echo "FAIL $name: status $got (want $want), output (want /$pattern/):"
		sed 's/^/	/' "$log"
		failures=$((failures + 1))
		return
	fi
	echo "ok   $name"
}

expect "success comes back" 0 'cgroup2 controllers: .*memory.*pids' \
	VMTEST_CMD='test -e /sys/fs/cgroup/cgroup.subtree_control'
expect "the guest's status comes back" 3 'guest exit status 3' VMTEST_CMD='exit 3'
expect "a failing first stage fails" 1 'reported no status' VMTEST_GUEST=/nonexistent
expect "a guest kernel crash fails" 1 'reported no status' \
	VMTEST_CMD='echo c >/proc/sysrq-trigger; sleep 60'

# A failed test's own lines reach the console (CI keeps only that): those
# of the failed test and a panic after its FAIL line, not of the tests
# around it; and those of a test that never ended.
# checkFailures NAME WANT LINES...: failures.awk on LINES prints WANT.
checkFailures() {
	name=$1 want=$2
	shift 2
	printf '%s\n' "$@" >"$log"
	got=$(awk -f vm/failures.awk "$log")
	if [ "$got" = "$want" ]; then
		echo "ok   $name"
	else
		echo "FAIL $name: got:"
		echo "$got" | sed 's/^/	/'
		failures=$((failures + 1))
	fi
}
checkFailures "a failed test's output is printed" 'vmtest: the output of TestB:
=== RUN   TestB
    b_test.go:9: the reason
=== RUN   TestB/sub
    --- FAIL: TestB/sub (0.10s)
--- FAIL: TestB (2.00s)
panic: boom
goroutine 7 [running]:' \
	'=== RUN   TestA' '    a_test.go:1: fine' '--- PASS: TestA (1.00s)' \
	'=== RUN   TestB' '    b_test.go:9: the reason' '=== RUN   TestB/sub' \
	'    --- FAIL: TestB/sub (0.10s)' '--- FAIL: TestB (2.00s)' \
	'panic: boom' 'goroutine 7 [running]:' \
	'=== RUN   TestC' '--- PASS: TestC (1.00s)'
checkFailures "a test that never ended is printed" 'vmtest: the output of TestD (it never ended):
=== RUN   TestD
panic: test timed out after 1s' \
	'=== RUN   TestC' '--- PASS: TestC (1.00s)' \
	'=== RUN   TestD' 'panic: test timed out after 1s'

# A hung guest: qemu is killed at the timeout, and nothing of it is left.
marker=vmtest_selftest=$$
expect "a hung guest times out" 1 'timed out after 60s' \
	VMTEST_TIMEOUT=60 VMTEST_APPEND="$marker" VMTEST_CMD='sleep 600'
for cmdline in /proc/[0-9]*/cmdline; do
	if { tr '\0' ' ' <"$cmdline"; } 2>/dev/null | grep -q "$marker"; then
		echo "FAIL a hung guest times out: qemu still running: $cmdline"
		failures=$((failures + 1))
	fi
done

# An interrupted vmtest (^C, a cancelled CI job) takes qemu with it,
# though timeout keeps qemu out of the terminal's process group.
marker=vmtest_selftest_int=$$
VMTEST_APPEND="$marker" VMTEST_CMD='sleep 600' sh vm/vmtest.sh >"$log" 2>&1 &
pid=$!
running=
for _ in $(seq 120); do
	if grep -q 'running: sleep 600' "$log"; then
		running=yes
		break
	fi
	sleep 1
done
kill -TERM "$pid"
wait "$pid"
got=$?
left=
for cmdline in /proc/[0-9]*/cmdline; do
	{ tr '\0' ' ' <"$cmdline"; } 2>/dev/null | grep -q "$marker" && left="$left $cmdline"
done
if [ -z "$running" ] || [ "$got" = 0 ] || [ -n "$left" ]; then
	echo "FAIL an interrupted vmtest stops qemu: guest running: ${running:-no}, status $got, left:$left"
	sed 's/^/	/' "$log"
	failures=$((failures + 1))
else
	echo "ok   an interrupted vmtest stops qemu"
fi

if [ "$failures" != 0 ]; then
	echo "vmtest selftest: $failures failed"
	exit 1
fi
echo "vmtest selftest: all passed"
