#!/usr/bin/env bash
# Start-up of the multicall binary: `busybox true` side by side in one run
# with /bin/true and with an empty Go program (the floor any Go binary pays
# for its runtime start), so the dispatch cost of moobox itself shows.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x bin/busybox ] || make -s build
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'package main\n\nfunc main() {}\n' >"$tmp/main.go"
(cd "$tmp" && CGO_ENABLED=0 GO111MODULE=off go build -trimpath -ldflags='-s -w -buildid=' -o empty main.go)
go run ./bench/sidebyside -direct -n "${RUNS:-500}" \
	'busybox true=bin/busybox true' \
	'/bin/true=/bin/true' \
	"empty Go program=$tmp/empty"
