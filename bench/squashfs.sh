#!/usr/bin/env bash
# moobuild mksquashfs against squashfs-tools' mksquashfs, side by side in one
# run, on a ~20 MB mixed tree (Go's net/, crypto/ and go/ sources with their test
# data; SRC=dir to use another), for gzip, xz and zstd with the same flags
# (-noappend -all-root, 128 KiB blocks). Targets (issue 8): wall-time ratio
# <= 1 and image size within 3% of mksquashfs's.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v mksquashfs >/dev/null; then
	echo "mksquashfs not found: install Debian package squashfs-tools" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/moobuild" ./cmd/moobuild
go build -o "$tmp/sidebyside" ./bench/sidebyside
src=${SRC:-}
if [ -z "$src" ]; then
	goroot=$(go env GOROOT)
	mkdir "$tmp/src"
	cp -a "$goroot/src/net" "$goroot/src/crypto" "$goroot/src/go" "$tmp/src/"
	src=$tmp/src
fi
printf 'tree: %s, %s files, %s bytes; %s cores\n' "$src" "$(find "$src" -type f | wc -l)" \
	"$(du -sb "$src" | cut -f1)" "$(nproc)"
export SOURCE_DATE_EPOCH=1700000000
for c in gzip xz zstd; do
	ref="mksquashfs $src $tmp/ref-$c.sqfs -comp $c -noappend -all-root -quiet -no-progress"
	moo="$tmp/moobuild mksquashfs $src $tmp/moo-$c.sqfs -comp $c -noappend -all-root"
	$ref >/dev/null
	$moo
	r=$(stat -c %s "$tmp/ref-$c.sqfs")
	m=$(stat -c %s "$tmp/moo-$c.sqfs")
	printf '%s size: mksquashfs %d, moobuild %d, ratio %.4f (target <= 1.03)\n' "$c" "$r" "$m" "$(echo "$m/$r" | bc -l)"
	"$tmp/sidebyside" -n "${RUNS:-5}" -warmup 1 "mksquashfs $c=$ref" "moobuild $c=$moo"
done
