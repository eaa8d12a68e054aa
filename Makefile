# mydocker: build, test, install, and a busybox image to try it with.
ROOT   ?= $(or $(MYDOCKER_ROOT),/var/lib/mydocker)
PREFIX ?= /usr/local
GO     ?= go
export GOFLAGS ?= -buildvcs=false

.PHONY: build test unit e2e fuzz install image demo bench clean

build:
	$(GO) build -o mydocker .

# Every test: unit tests, a short run of each fuzz target's seed corpus,
# and the end-to-end tests that drive the real ./mydocker as root.
test: build
	$(GO) vet ./...
	$(GO) test -count=1 ./...

unit:
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /tests)

e2e: build
	$(GO) test -count=1 -v ./tests/

# Fuzz each parser for FUZZTIME (go test allows one -fuzz target per run).
FUZZTIME ?= 20s
fuzz:
	$(GO) test ./container -run '^$$' -fuzz '^FuzzParseVolume$$' -fuzztime $(FUZZTIME)
	$(GO) test ./container -run '^$$' -fuzz '^FuzzParseEnv$$' -fuzztime $(FUZZTIME)
	$(GO) test . -run '^$$' -fuzz '^FuzzParseRunFlags$$' -fuzztime $(FUZZTIME)
	$(GO) test ./image -run '^$$' -fuzz '^FuzzEntryPath$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cgroups -run '^$$' -fuzz '^FuzzParseLimits$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cgroups -run '^$$' -fuzz '^FuzzDetect$$' -fuzztime $(FUZZTIME)
	$(GO) test ./network -run '^$$' -fuzz '^FuzzParsePort$$' -fuzztime $(FUZZTIME)

install: build
	install -D -m 0755 mydocker $(DESTDIR)$(PREFIX)/bin/mydocker

image: $(ROOT)/image/busybox.tar
$(ROOT)/image/busybox.tar:
	sh scripts/make-busybox-image.sh $(ROOT)

# Build, make the image if missing, and show a container's isolated view.
demo: build image
	./mydocker --root $(ROOT) run --rm busybox sh -c 'echo "hostname: $$(hostname)"; echo "processes:"; ps; echo "rootfs:"; ls /'

clean:
	rm -f mydocker
