# moobox: `make` builds bin/, the images and runs the demo; `make test` runs
# every test. Binaries are reproducible: same source, same bytes.

GO       ?= go
export CGO_ENABLED := 0
GOFLAGS_REPRO := -trimpath -ldflags='-s -w -buildid='
CMDS     := busybox fortune strfile unstr cowsay lolcat moobuild
BINS     := $(addprefix bin/,$(CMDS))

.PHONY: all build images demo test bench clean FORCE

all: build images demo

build: $(BINS) bin/cowthink

# Go decides what is stale; make just asks it every time.
bin/%: FORCE
	$(GO) build $(GOFLAGS_REPRO) -o $@ ./cmd/$*

bin/cowthink: bin/cowsay
	ln -sf cowsay $@

images: build

demo: build
	bin/fortune | bin/cowsay | bin/lolcat -f

test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

bench: build
	$(GO) test -run='^$$' -bench=. -benchtime=2x ./...
	@for s in bench/*.sh; do [ -e "$$s" ] || continue; echo "== $$s"; bash "$$s" || exit 1; done

clean:
	rm -rf bin out
