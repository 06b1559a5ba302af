#!/usr/bin/env bash
# cowsay side by side with Debian's Perl cowsay 3.03, in one run each:
# start-up (`cowsay hi`, target <= 1.5 ms median) and a 1 MB message on
# stdin (target >= 20x faster than Perl).
set -euo pipefail
cd "$(dirname "$0")/.."
perl=/usr/games/cowsay
if [ ! -x "$perl" ]; then
	echo "bench/cowsay.sh: $perl not found; install Debian package cowsay" >&2
	exit 0
fi
mkdir -p bin
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w -buildid=' -o bin/cowsay ./cmd/cowsay
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/sidebyside" ./bench/sidebyside

echo "== cowsay hi (start-up)"
"$tmp/sidebyside" -direct -n "${RUNS:-100}" "moobox=bin/cowsay hi" "perl=$perl hi"

echo "== 1 MB message on stdin"
# Words of every kind the wrapper and the balloon treat specially.
awk 'BEGIN { srand(1); split("moo cow the jumped over moon café 日本語 e\xcc\x81t\xc3\xa9 a-very-long-word-indeed", w, " ");
	while (n < 1048576) { s = w[int(rand() * 11) + 1]; if (rand() < 0.02) s = s "\n"; else s = s " "; printf "%s", s; n += length(s) } }' >"$tmp/1mb.txt"
"$tmp/sidebyside" -n "${BIGRUNS:-5}" -warmup 1 -in "$tmp/1mb.txt" "moobox=bin/cowsay" "perl=$perl"
cmp -s <(bin/cowsay <"$tmp/1mb.txt") <("$perl" <"$tmp/1mb.txt") && echo "1 MB outputs identical" || { echo "1 MB outputs DIFFER"; exit 1; }
