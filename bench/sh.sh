#!/usr/bin/env bash
# `fortune | cowsay | lolcat -f` through moobox's sh (applets run
# in-process: one process in all), side by side in one run with Debian's
# dash running the same pipeline over moobox's separate binaries, and over
# Debian's fortune, Perl cowsay and Ruby lolcat. Target: moobox sh <= 4 ms
# median. Each shell reads the pipeline from a script file, so every row
# is one exec'd shell and nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x bin/busybox ] || make -s build
for b in fortune cowsay lolcat; do [ -x "bin/$b" ] || make -s build; done
dash=$(command -v dash || echo /bin/dash)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$PWD/bin
echo 'fortune | cowsay | lolcat -f' >"$tmp/moobox.sh"
echo "$bin/fortune | $bin/cowsay | $bin/lolcat -f" >"$tmp/separate.sh"
echo '/usr/games/fortune | /usr/games/cowsay | /usr/games/lolcat -f' >"$tmp/debian.sh"
# Every row must work, silently, before it is timed.
check() {
	local out
	out=$("$@" 2>"$tmp/err" | sed 's/\x1b\[[0-9;]*m//g')
	case $out in *'(oo)'*) ;; *) echo "bench/sh.sh: $* printed no cow" >&2; exit 1 ;; esac
	if [ -s "$tmp/err" ]; then echo "bench/sh.sh: $*:" >&2; cat "$tmp/err" >&2; exit 1; fi
}
check bin/busybox sh "$tmp/moobox.sh"
check "$dash" "$tmp/separate.sh"
check "$dash" "$tmp/debian.sh"
go run ./bench/sidebyside -direct -n "${RUNS:-200}" \
	"moobox sh (in-process)=bin/busybox sh $tmp/moobox.sh" \
	"moobox sh, exec'd applets=env MOOBOX_NOINPROC=1 PATH=$bin:/usr/bin:/bin bin/busybox sh $tmp/moobox.sh" \
	"dash + moobox binaries=$dash $tmp/separate.sh" \
	"dash + Perl/Ruby (Debian)=$dash $tmp/debian.sh"
