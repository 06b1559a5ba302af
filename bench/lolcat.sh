#!/usr/bin/env bash
# lolcat side by side with Debian's Ruby lolcat 100.0.1, in one run each:
#  - start-up, `echo hi | lolcat -f` (target <= 1.5 ms median);
#  - a small file against Ruby (about 0.13 MB/s), identical output checked;
#  - throughput of moobox alone on 10 MB (targets: >= 100 MB/s in 256
#    colours, >= 60 MB/s in truecolor; the C lolcat does 14 and 3.3 MB/s
#    on this machine class, per issue 4), with the ratio to those targets
#    from CPU time (user+sys, stable) and from wall time (load-sensitive).
# The Go benchmarks (go test -bench Paint ./internal/lolcat) give the
# same throughput in-process.
set -euo pipefail
cd "$(dirname "$0")/.."
ruby=/usr/games/lolcat
mkdir -p bin
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w -buildid=' -o bin/lolcat ./cmd/lolcat
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/sidebyside" ./bench/sidebyside

# Text like fortune output: words, punctuation, some UTF-8.
awk 'BEGIN { srand(1); split("the quick brown fox jumps over lazy dog moo cow café 日本語 naïve, \"quoted\" ok.", w, " ");
	while (n < 10485760) { s = w[int(rand() * 16) + 1]; if (rand() < 0.12) s = s "\n"; else s = s " "; printf "%s", s; n += length(s) } }' >"$tmp/10mb.txt"
head -c 20000 "$tmp/10mb.txt" >"$tmp/small.txt"
echo hi >"$tmp/hi.txt"
size=$(stat -c %s "$tmp/10mb.txt")
small=$(stat -c %s "$tmp/small.txt")

# median_ms NAME < sidebyside output: the median of NAME in milliseconds.
median_ms() { awk -v n="$1" '$1 == n { v = $2; sub(/ms$/, "", v); print v }'; }

echo "== echo hi | lolcat -f (start-up)"
if [ -x "$ruby" ]; then
	"$tmp/sidebyside" -direct -n "${RUNS:-100}" -in "$tmp/hi.txt" "moobox=bin/lolcat -f" "ruby=$ruby -f" | tee "$tmp/start"
else
	"$tmp/sidebyside" -direct -n "${RUNS:-100}" -in "$tmp/hi.txt" "moobox=bin/lolcat -f" | tee "$tmp/start"
fi
echo "start-up median: $(median_ms moobox <"$tmp/start") ms (target <= 1.5 ms)"

if [ -x "$ruby" ]; then
	echo "== $small-byte file, 256 colours and truecolor, against Ruby"
	"$tmp/sidebyside" -n "${SMALLRUNS:-5}" -warmup 1 \
		"moobox=bin/lolcat -f -S 7 $tmp/small.txt" "ruby=$ruby -f -S 7 $tmp/small.txt" \
		"moobox-t=bin/lolcat -f -t -S 7 $tmp/small.txt" "ruby-t=$ruby -f -t -S 7 $tmp/small.txt" | tee "$tmp/small"
	for m in "" "-t"; do
		cmp -s <(bin/lolcat -f $m -S 7 "$tmp/small.txt") <(LC_ALL=C.UTF-8 "$ruby" -f $m -S 7 "$tmp/small.txt") &&
			echo "outputs identical ($m)" || { echo "outputs DIFFER ($m)"; exit 1; }
	done
	awk -v s="$small" '$1 == "ruby" { v = $2; sub(/ms$/, "", v); printf "ruby: %.2f MB/s\n", s / 1e6 / (v / 1e3) }' "$tmp/small"
fi

echo "== 10 MB, moobox alone"
"$tmp/sidebyside" -n "${BIGRUNS:-7}" -warmup 1 \
	"256=bin/lolcat -f -S 7 $tmp/10mb.txt" "truecolor=bin/lolcat -f -t -S 7 $tmp/10mb.txt" | tee "$tmp/big"

# cpu_s FLAGS: the best of CPURUNS runs' user+sys CPU seconds (bash's time
# keyword, so no /usr/bin/time needed).
cpu_s() {
	local best= t
	for _ in $(seq "${CPURUNS:-3}"); do
		t=$( { TIMEFORMAT='%U %S'; time bin/lolcat -f $1 -S 7 "$tmp/10mb.txt" >/dev/null; } 2>&1 | awk '{ print $1 + $2 }')
		best=$(awk -v a="$best" -v b="$t" 'BEGIN { print (a == "" || b < a) ? b : a }')
	done
	echo "$best"
}

# The headline ratios against the targets, both ways. Wall time (median
# above) is load-sensitive: on a shared machine it includes waiting for a
# CPU, so it understates lolcat under load. CPU time (user+sys) is what
# lolcat itself costs, and is the figure to compare with the one-core
# targets; it only drifts with CPU frequency.
echo "== throughput against the targets (10 MB file)"
for m in 256:100:14: truecolor:60:3.3:-t; do
	IFS=: read -r name target c flag <<<"$m"
	ms=$(median_ms "$name" <"$tmp/big")
	cpu=$(cpu_s "$flag")
	awk -v s="$size" -v ms="$ms" -v cpu="$cpu" -v n="$name" -v t="$target" -v c="$c" 'BEGIN {
		w = s / 1e6 / (ms / 1e3)
		if (cpu <= 0) cpu = 0.001
		printf "%s CPU:  %.1f MB per CPU second (user+sys %.2fs), %.2fx the %d MB/s target, %.1fx the C lolcat (%s MB/s)\n", n, s / 1e6 / cpu, cpu, s / 1e6 / cpu / t, t, s / 1e6 / cpu / c, c
		printf "%s wall: %.1f MB/s (median %.0f ms), %.2fx the %d MB/s target [load-sensitive]\n", n, w, ms, w / t, t }'
done
if [ -x "$ruby" ]; then
	awk -v s="$size" -v sm="$small" '
		FNR == NR && $1 == "256" { v = $2; sub(/ms$/, "", v); m = s / v }
		FNR != NR && $1 == "ruby" { v = $2; sub(/ms$/, "", v); r = sm / v }
		END { if (r > 0) printf "moobox/ruby throughput ratio (256 colours): %.0fx\n", m / r }' "$tmp/big" "$tmp/small"
fi

echo "== Go benchmarks (in-process; MB/cpu-s is throughput per CPU second, robust to machine load)"
go test -run '^$' -bench 'Paint|Startup' -benchtime "${BENCHTIME:-10x}" ./internal/lolcat | grep -E '^Benchmark'
