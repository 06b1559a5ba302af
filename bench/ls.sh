#!/usr/bin/env bash
# `ls -l` of a 10,000-file directory: moobox's busybox side by side in one
# run with Debian's busybox (package busybox-static). Target: ratio <= 1.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x bin/busybox ] || make -s build
ref=$(command -v busybox || true)
[ -n "$ref" ] && [ "$ref" != "$PWD/bin/busybox" ] || ref=/bin/busybox
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/d"
(cd "$tmp/d" && seq -f 'file%05g' 10000 | xargs touch)
# Same bytes from both, or the comparison means nothing.
cmp <(TZ=UTC bin/busybox ls -l "$tmp/d") <(TZ=UTC "$ref" ls -l "$tmp/d")
go run ./bench/sidebyside -direct -n "${RUNS:-50}" \
	"moobox ls -l=bin/busybox ls -l $tmp/d" \
	"debian busybox ls -l=$ref ls -l $tmp/d"
