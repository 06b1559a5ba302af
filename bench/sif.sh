#!/usr/bin/env bash
# moo.sif from an already-built busybox: build time (target <= 1 s) and size
# for linux/amd64 (target <= 2 MiB), side by side with the same root
# filesystem written by squashfs-tools' mksquashfs plus siftool (the
# pieces apptainer's own build runs after its %post), when they are
# installed. For scale: a Debian minbase image with the same three tools,
# built by apptainer, measured 90 MB and 14 s.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s bin/moobuild bin/busybox
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
bin/moobuild -q --busybox bin/busybox "$tmp/moo.sif" image/moo.def
bin/moobuild -q --comp gzip --busybox bin/busybox "$tmp/gzip.sif" image/moo.def
for f in moo gzip; do
	size=$(stat -c %s "$tmp/$f.sif")
	printf '%s.sif linux/amd64: %d bytes (%.2f MiB; target <= 2 MiB)\n' "$f" "$size" "$(echo "$size/1048576" | bc -l)"
done
# CPU time of one build (wall time depends on how busy the cores are).
/usr/bin/time -f 'moobuild moo.sif: %e s wall, %U s user, %S s system' bin/moobuild -q --busybox bin/busybox "$tmp/t.sif" image/moo.def
cmds=("moobuild moo.sif (xz)=bin/moobuild -q --busybox bin/busybox $tmp/a.sif image/moo.def"
	"moobuild --comp gzip=bin/moobuild -q --comp gzip --busybox bin/busybox $tmp/g.sif image/moo.def")
if command -v mksquashfs >/dev/null && command -v siftool >/dev/null && command -v unsquashfs >/dev/null; then
	# The same tree, unpacked from moobuild's own partition.
	siftool dump 3 "$tmp/moo.sif" >"$tmp/part.sqfs"
	unsquashfs -q -d "$tmp/root" "$tmp/part.sqfs" >/dev/null
	for c in xz gzip; do
		cmds+=("mksquashfs -comp $c + siftool=rm -f $tmp/b.sqfs $tmp/b.sif && mksquashfs $tmp/root $tmp/b.sqfs -comp $c -noappend -all-root -quiet && siftool new $tmp/b.sif && siftool add --datatype 4 --parttype 2 --partfs 1 --partarch 2 $tmp/b.sif $tmp/b.sqfs")
	done
fi
go run ./bench/sidebyside -n "${RUNS:-20}" "${cmds[@]}"
