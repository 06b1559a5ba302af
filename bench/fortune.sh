#!/usr/bin/env bash
# fortune side by side with Debian's fortune-mod 1.99.1, in one run each:
# a random fortune (start-up, target <= Debian's latency) and
# `fortune -m the` over the whole Debian set (target: no slower).
set -euo pipefail
cd "$(dirname "$0")/.."
deb=/usr/games/fortune
if [ ! -x "$deb" ] || [ ! -e /usr/share/games/fortunes/fortunes.dat ]; then
	echo "bench/fortune.sh: $deb or its fortunes not found; install Debian packages fortune-mod fortunes-min fortunes" >&2
	exit 0
fi
mkdir -p bin
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w -buildid=' -o bin/fortune ./cmd/fortune
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/sidebyside" ./bench/sidebyside
export LANG=C.UTF-8

echo "== fortune (a random fortune from the whole set)"
"$tmp/sidebyside" -direct -n "${RUNS:-200}" "moobox=bin/fortune" "debian=$deb"

echo "== fortune -m the (every match in the whole set)"
# fortune -m exits 1 when something matched, hence "|| true" for both.
"$tmp/sidebyside" -n "${MRUNS:-40}" "moobox=bin/fortune -m the >/dev/null 2>&1 || true" "debian=$deb -m the >/dev/null 2>&1 || true"
bin/fortune -m the >"$tmp/m.out" 2>"$tmp/m.err" || true
"$deb" -m the >"$tmp/d.out" 2>"$tmp/d.err" || true
cmp -s "$tmp/m.out" "$tmp/d.out" && cmp -s "$tmp/m.err" "$tmp/d.err" && echo "-m the outputs identical" || { echo "-m the outputs DIFFER"; exit 1; }
