#!/usr/bin/env bash
# moobuild mksquashfs against squashfs-tools' mksquashfs, side by side in one
# run, for gzip, xz and zstd with the same flags (-noappend -all-root, 128 KiB
# blocks), on two trees:
#   - a ~20 MB mixed tree: Go's net/, crypto/ and go/ sources with their test
#     data (SRC=dir to use another);
#   - the moobox root filesystem: moo.sif built by moobuild from bin/busybox,
#     its squashfs partition unpacked by unsquashfs (ROOTFS=0 to skip).
# Targets (issue 8): wall-time ratio <= 1 and image size within 3% of
# mksquashfs's. A summary table of both ratios ends the output.
set -euo pipefail
cd "$(dirname "$0")/.."
for t in mksquashfs unsquashfs siftool; do
	if ! command -v $t >/dev/null; then
		echo "$t not found: install Debian package $([ $t = siftool ] && echo siftool || echo squashfs-tools)" >&2
		exit 1
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/moobuild" ./cmd/moobuild
go build -o "$tmp/sidebyside" ./bench/sidebyside
export SOURCE_DATE_EPOCH=1700000000
summary=()

# compare LABEL DIR: one size and timing comparison per compressor.
compare() {
	local label=$1 src=$2 c ref moo r m size time
	printf '== %s: %s, %s files, %s bytes; %s cores\n' "$label" "$src" "$(find "$src" -type f | wc -l)" \
		"$(du -sb "$src" | cut -f1)" "$(nproc)"
	for c in gzip xz zstd; do
		ref="mksquashfs $src $tmp/ref-$c.sqfs -comp $c -noappend -all-root -quiet -no-progress"
		moo="$tmp/moobuild mksquashfs $src $tmp/moo-$c.sqfs -comp $c -noappend -all-root"
		$ref >/dev/null
		$moo
		r=$(stat -c %s "$tmp/ref-$c.sqfs")
		m=$(stat -c %s "$tmp/moo-$c.sqfs")
		size=$(printf '%.3f' "$(echo "$m/$r" | bc -l)")
		printf '%s size: mksquashfs %d, moobuild %d, ratio %s (target <= 1.03)\n' "$c" "$r" "$m" "$size"
		"$tmp/sidebyside" -n "${RUNS:-5}" -warmup 1 "mksquashfs $c=$ref" "moobuild $c=$moo" | tee "$tmp/times"
		time=$(awk '$1 == "moobuild" { print $NF }' "$tmp/times")
		summary+=("$(printf '%-8s %-5s %9s %9s' "$label" "$c" "${size}x" "$time")")
	done
}

src=${SRC:-}
if [ -z "$src" ]; then
	goroot=$(go env GOROOT)
	mkdir "$tmp/src"
	cp -a "$goroot/src/net" "$goroot/src/crypto" "$goroot/src/go" "$tmp/src/"
	src=$tmp/src
fi
compare "${SRC:+src}${SRC:-go-src}" "$src"

if [ "${ROOTFS:-1}" != 0 ]; then
	make -s bin/busybox
	"$tmp/moobuild" -q --busybox bin/busybox "$tmp/moo.sif" image/moo.def
	# The squashfs partition: the descriptor whose type is "FS" (siftool
	# list prints "ID |GROUP |LINK |SIF POSITION (start-end) |TYPE (...)").
	id=$(siftool list "$tmp/moo.sif" | awk -F'|' '$5 ~ /^ *FS/ { print $1 + 0; exit }')
	siftool dump "$id" "$tmp/moo.sif" >"$tmp/part.sqfs"
	unsquashfs -q -no-progress -d "$tmp/rootfs" "$tmp/part.sqfs" >/dev/null
	rm -f "$tmp/moo.sif" "$tmp/part.sqfs"
	compare "rootfs" "$tmp/rootfs"
fi

printf '\n%-8s %-5s %9s %9s   (moobuild / mksquashfs; targets: size <= 1.03x, time <= 1x)\n' tree comp size time
printf '%s\n' "${summary[@]}"
