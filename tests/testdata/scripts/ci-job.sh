#!/bin/sh
# A CI job's use of a container tool, written once and run unchanged
# against mydocker and podman (tests/scripting_test.go): $TOOL is the tool
# with its global flags, $IMAGE a busybox image, $RUNFLAGS extra flags for
# run. It prints what a job would check; the test compares the outputs.
set -eu
t() { $TOOL "$@"; }

id=$(t run -d --name ci-web --network none $RUNFLAGS "$IMAGE" sh -c 'echo starting; echo ready > /tmp/ready; echo started >&2; sleep 1000')
# Wait until the service is ready, as jobs do: poll with exec.
i=0
until t exec ci-web cat /tmp/ready >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || { echo "never ready" >&2; exit 1; }
	sleep 0.1
done
echo "ready: $(t exec ci-web cat /tmp/ready)"
echo "logs:"
t logs ci-web 2>&1 | sort
echo "running: $(t inspect -f '{{.State.Running}} {{.State.Status}}' ci-web)"
[ "$(t inspect -f '{{.Id}}' ci-web)" = "$id" ] && echo "inspect's Id is what run -d printed"
echo "ps finds it: $(t ps -q --filter name=ci-web | wc -l)"
echo "ps -a with exited: $(t ps -aq --filter status=exited | wc -l)"

t exec ci-web sh -c 'echo built > /artifact'
t stop -t 1 ci-web >/dev/null
echo "stopped: $(t inspect -f '{{.State.Status}} {{.State.Running}} {{.State.Pid}}' ci-web)"
echo "ps after stop: $(t ps -q | wc -l)"
t commit ci-web ci-built:v1 >/dev/null
echo "the commit runs: $(t run --rm --network none $RUNFLAGS ci-built:v1 cat /artifact)"

t run -d --name ci-job --network none $RUNFLAGS ci-built:v1 sh -c 'exit 3' >/dev/null
echo "wait: $(t wait ci-job)"
echo "exit code: $(t inspect -f '{{.State.ExitCode}}' ci-job)"
t rm ci-job ci-web >/dev/null
t rmi ci-built:v1 >/dev/null
echo "images named ci-built: $(t images -q ci-built | wc -l)"
echo "containers: $(t ps -aq | wc -l)"
