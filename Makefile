# mydocker: build, test, install, and a busybox image to try it with.
ROOT   ?= $(or $(MYDOCKER_ROOT),/var/lib/mydocker)
PREFIX ?= /usr/local
# Go: the one on PATH, else go.dev's tarball's place. Looked up when a
# recipe runs, so a Go that `toolchain` has just installed is found.
GO     ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
export GOFLAGS ?= -buildvcs=false
# A Go older than go.mod's (Debian's backports) fetches go.mod's own
# toolchain through the Go module proxy.
export GOTOOLCHAIN ?= auto

.PHONY: build toolchain man deps test unit e2e vmtest vmtest-systemd vmtest-selftest fuzz mutate install image demo bench clean

# A static binary starts faster (no dynamic loader: it runs three times
# per container: CLI, init, monitor). The Go programs are built without
# cgo (CGO_ENABLED=0): the C library's start costs each about 2 ms on this
# kind of machine, and only the exec stub needs C, which is a C program of
# its own (mydocker-init). netgo/osusergo keep libc's resolver out
# wherever cgo is on; urfave_cli_no_docs drops the man-page generator's
# init cost.
BUILDTAGS ?= urfave_cli_no_docs netgo osusergo
GIT_COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
# One random ID per build, stamped into mydocker, mydocker-inside,
# mydocker-monitor and mydocker-init, so that they refuse to work together
# when they come from different builds (container/spec/build.go).
BUILD_ID  := $(GIT_COMMIT)-$(shell od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
LDFLAGS   ?= -s -w -extldflags "-static" -X main.gitCommit=$(GIT_COMMIT) -X mydocker/container/spec.BuildID=$(BUILD_ID)
# mydocker-init is C: --init's reaper, a pod's pause process and exec's
# stub (container/nsenter), which checks the same ID, compiled in as
# MYDOCKER_BUILD_ID. It is linked with musl, not glibc: glibc's static
# start probes the CPU with many cpuid instructions (7 µs each in a VM
# whose hypervisor traps them) and maps more pages; here it took 2.1 ms
# of CPU to start and exit, musl's 0.35. musl-gcc sees only musl's
# headers, so the kernel's (linux/, asm/, from linux-libc-dev) are linked
# into KERNEL_HEADERS for it.
INIT_CC        ?= musl-gcc
KERNEL_HEADERS := .build/kernel-headers
# mydocker-inside: the lean program a container's init runs as
# (cmd/mydocker-inside), beside mydocker, which finds it there;
# built without the systemd cgroup driver (tag nosystemd), whose D-Bus
# client it never uses and would initialise on every start;
# mydocker-monitor: the lean program a detached container's monitor runs
# (cmd/mydocker-monitor), found there too; mydocker-kube: the whole CLI
# with play kube and generate kube (tag kube), which mydocker runs for
# those two, so that k8s.io's types are not in every other command's start,
# to assemble a seccomp filter the root's cache lacks, and to move images
# in and out of the store: mydocker is built without the seccomp library
# (tag noassembler), whose initialisation cost every command's start more
# than the rest of it, and without the registry client, TLS, compressors
# and archive formats (tag notransfer), whose initialisation was half of
# what was left (pull, push, load, save, import, commit, login, logout,
# and a run that pulls or reads a new image tar, run mydocker-kube).
build: toolchain
	CGO_ENABLED=0 $(GO) build -tags '$(BUILDTAGS) noassembler notransfer' -ldflags '$(LDFLAGS)' -o mydocker .
	CGO_ENABLED=0 $(GO) build -tags '$(BUILDTAGS) kube' -ldflags '$(LDFLAGS)' -o mydocker-kube .
	CGO_ENABLED=0 $(GO) build -tags '$(BUILDTAGS) nosystemd' -ldflags '$(LDFLAGS)' -o mydocker-inside ./cmd/mydocker-inside
	CGO_ENABLED=0 $(GO) build -tags '$(BUILDTAGS)' -ldflags '$(LDFLAGS)' -o mydocker-monitor ./cmd/mydocker-monitor
	mkdir -p $(KERNEL_HEADERS)
	ln -sfn /usr/include/linux $(KERNEL_HEADERS)/linux
	ln -sfn /usr/include/asm-generic $(KERNEL_HEADERS)/asm-generic
	ln -sfn /usr/include/$$(gcc -print-multiarch)/asm $(KERNEL_HEADERS)/asm
	$(INIT_CC) -static -Os -s -Wall -Werror -isystem $(KERNEL_HEADERS) -Icontainer/nsenter \
		'-DMYDOCKER_BUILD_ID="$(BUILD_ID)"' -o mydocker-init \
		container/inside/reaper/reaper.c container/nsenter/nsenter.c container/nsenter/nsexec.c

# What the build needs (gcc, libc6-dev, musl-tools, Go 1.21 or later),
# installed if missing; see scripts/install-deps.sh.
toolchain:
	sh scripts/install-deps.sh --build

# What the tests need from Debian's packages, installed if missing.
deps:
	sh scripts/install-deps.sh

# Every test: unit tests, a short run of each fuzz target's seed corpus,
# and the end-to-end tests that drive the real ./mydocker as root.
# The end-to-end suite takes about 10 minutes on a busy 2-core machine,
# go test's default timeout: a timed-out test binary exits at once, with
# no cleanup, so the running test's containers, default bridge and its
# iptables rules stay, and nothing names them once its temporary state
# root is deleted. Hence the longer timeout.
TEST_TIMEOUT ?= 40m

test: deps build
	$(GO) vet ./...
	$(GO) vet -tags kube .
	$(GO) vet -tags 'noassembler notransfer' .
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

# Unit tests (a few, such as packing across a mount, need root too).
unit:
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /tests)

e2e: deps build
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) -v ./tests/

# The end-to-end suite on a pure cgroup v2 kernel: Debian's kernel under
# qemu, against the same ./mydocker (see vm/vmtest.sh for its settings:
# VMTEST_RUN=regex selects tests, VMTEST_CMD runs a command instead).
vmtest: deps build
	sh scripts/install-deps.sh --vm
	sh vm/vmtest.sh

# The tests that touch cgroups, with systemd as the guest's init: new
# containers then get the systemd cgroup driver (transient scopes).
VMTEST_SYSTEMD_RUN ?= ^Test(Cgroup|PidsLimit|MemoryLimit|EachContainerOwnCgroup|CPU|Cpuset|BadLimits|Stats|Exec$$|ExecJoins|ExecCannotOverwriteBinary|LimitFlags|DeviceBps|BadNewLimit|Pause|StopAndRemoveAPaused|Update|StartAppliesLimits|StartKeeps|StopIgnoringSIGTERM|RmAfterKilledMonitor|KillRunAtAnyPoint|KillMonitorAtAnyPoint|DetachedStartErrors)
vmtest-systemd: deps build
	sh scripts/install-deps.sh --vm
	VMTEST_INIT=systemd VMTEST_RUN='$(VMTEST_SYSTEMD_RUN)' sh vm/vmtest.sh

# The harness's own tests: a failing guest, a guest that dies before its
# end and a hung guest each fail vmtest.
vmtest-selftest: deps build
	sh scripts/install-deps.sh --vm
	sh vm/selftest.sh

# Run every fuzz target (every parser of user input) for FUZZTIME each;
# go test allows one -fuzz target per run, so they are found and run in turn.
FUZZTIME ?= 20s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$target"; \
			out=$$($(GO) test $$pkg -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) 2>&1) || { echo "$$out"; exit 1; }; \
		done; \
	done

# Put each deliberate bug of scripts/mutations.txt into a copy of the tree
# and run the suite: reports every bug the tests let through.
mutate: deps
	$(GO) run ./scripts/mutate

# mydocker(1), generated from the CLI's own definitions by a build of
# mydocker with the man page generator (-tags manpage), which the
# installed binary does not carry.
man: toolchain
	$(GO) run -tags 'manpage netgo osusergo' . __manpage >mydocker.1.tmp
	mv mydocker.1.tmp mydocker.1

install: build man
	install -D -m 0644 mydocker.1 $(DESTDIR)$(PREFIX)/share/man/man1/mydocker.1
	install -D -m 0755 mydocker $(DESTDIR)$(PREFIX)/bin/mydocker
	install -D -m 0755 mydocker-init $(DESTDIR)$(PREFIX)/bin/mydocker-init
	install -D -m 0755 mydocker-inside $(DESTDIR)$(PREFIX)/bin/mydocker-inside
	install -D -m 0755 mydocker-monitor $(DESTDIR)$(PREFIX)/bin/mydocker-monitor
	install -D -m 0755 mydocker-kube $(DESTDIR)$(PREFIX)/bin/mydocker-kube
	./mydocker completion bash >mydocker.bash && install -D -m 0644 mydocker.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/mydocker
	./mydocker completion zsh >mydocker.zsh && install -D -m 0644 mydocker.zsh $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_mydocker
	rm -f mydocker.bash mydocker.zsh

image: $(ROOT)/image/busybox.tar
$(ROOT)/image/busybox.tar:
	sh scripts/make-busybox-image.sh $(ROOT)

# Build, make the image if missing, and show a container's isolated view.
demo: deps build image
	./mydocker --root $(ROOT) run --rm busybox sh -c 'echo "hostname: $$(hostname)"; echo "processes:"; ps; echo "rootfs:"; ls /'

# Every target of issue 18 side by side with its peer, in one run, as
# one table (figure, mydocker, peer, ratio, target, verdict): start and
# exec against runc, parallel against sequential starts, a big image
# against busybox (BENCH=start); idle monitor memory against podman's
# conmon, ps and run with 100 containers present, IPAM with 1,000
# addresses taken (BENCH=scale); pulling a 100 MB multi-layer image from
# a local registry against skopeo and podman (BENCH=pull). Timings are
# medians of BENCH_N runs, pulls of PULL_ROUNDS rounds; then the Go
# benchmarks of the hot pure pieces. Those come last: saving records and
# addresses thousands of times makes and deletes thousands of files, and
# on a file system without a journal (this VM's) ext4 then steps over
# every inode freed in the last minutes for each file it makes, which
# slowed the starts measured right after by a third. It exits 0 when a
# target is missed (the verdict says so), non-zero when a measurement
# fails.
BENCH_N ?= 30
PULL_ROUNDS ?= 5
BENCH ?= all
bench: deps build
	@echo "make bench: missing peers (runc, skopeo, podman, docker-registry) were installed from Debian's packages above; it starts a registry on 127.0.0.1, runc and podman containers in private state roots, and bridges and NAT rules, all removed at its end" >&2
	$(GO) run ./bench -mydocker ./mydocker -n $(BENCH_N) -rounds $(PULL_ROUNDS) -what $(BENCH)
	$(GO) test -run '^$$' -bench . -benchmem ./container ./network

clean:
	rm -rf mydocker mydocker-init mydocker-inside mydocker-monitor mydocker-kube .vmtest .build
