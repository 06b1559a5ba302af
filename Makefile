# moobox: `make` builds bin/, the images and runs the demo; `make test` runs
# every test. Binaries are reproducible: same source, same bytes.

GO       ?= go
export CGO_ENABLED := 0
# -buildvcs=false: moobuild builds busybox the same way, so bin/busybox and
# the image's busybox are the same bytes.
GOFLAGS_REPRO := -trimpath -buildvcs=false -ldflags='-s -w -buildid='
CMDS     := busybox fortune strfile unstr cowsay lolcat moobuild
BINS     := $(addprefix bin/,$(CMDS))

.PHONY: all build images images-all demo test bench clean FORCE

all: build images demo

build: $(BINS) bin/cowthink

# Go decides what is stale; make just asks it every time.
bin/%: FORCE
	$(GO) build $(GOFLAGS_REPRO) -o $@ ./cmd/$*

bin/cowthink: bin/cowsay
	ln -sf cowsay $@

# The host platform's images: moo.sif and the OCI image (layout, OCI
# archive, docker archive) with its SPDX SBOM, all from bin/busybox.
OCI_OUT := oci:out/moobox oci-archive:out/moobox.oci.tar docker-archive:out/moobox.docker.tar
images: build
	@mkdir -p out
	bin/moobuild -q --busybox bin/busybox out/moo.sif image/moo.def
	bin/moobuild oci -q --busybox bin/busybox --sbom out/moobox.spdx.json $(OCI_OUT)

# Every platform, as one image index (a docker archive holds one platform).
images-all: bin/moobuild
	@mkdir -p out
	bin/moobuild oci --platform all --sbom out/moobox-all.spdx.json oci:out/moobox-all oci-archive:out/moobox-all.oci.tar

demo: build
	bin/fortune | bin/cowsay | bin/lolcat -f

test:
	$(GO) vet ./...
	@# Every platform moobuild targets must build (32-bit Stat_t, s390x Statfs_t).
	for a in 386 arm s390x; do GOARCH=$$a GOARM=7 $(GO) build -o /dev/null ./cmd/busybox || exit 1; done
	$(GO) test -count=1 ./...

bench: build
	$(GO) test -run='^$$' -bench=. -benchtime=2x ./...
	@for s in bench/*.sh; do [ -e "$$s" ] || continue; echo "== $$s"; bash "$$s" || exit 1; done

clean:
	rm -rf bin out
