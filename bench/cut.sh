#!/usr/bin/env bash
# cast-cut's throughput and peak memory beside `cat FILE > OUT`, in one run.
#
#   bench/cut.sh [SIZE_MB]        (default 300; the file comes from bench/gen.py, kept)
#
# A plain time cut (no seam needs a repaint) should be in cast-idle's speed class, within 2x
# of cat. A cut with a repaint feeds all output up to its last seam through the terminal
# emulator; its rate is reported as input MiB per second over the whole file. Each command runs
# REPEAT times (default 3); the best wall time counts, the largest peak RSS is shown.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-300}
repeat=${REPEAT:-3}
out=bench/out
mkdir -p "$out"
big="$out/big-${size}mb.cast"
[ -s "$big" ] || { echo "generating $big ..." >&2; python3 bench/gen.py "$big" "$size"; }
command -v /usr/bin/time >/dev/null || { echo "needs GNU time: apt-get install time" >&2; exit 2; }
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release
bytes=$(stat -L -c %s "$big")
cat "$big" > /dev/null # warm the page cache

# The recording's length (v2: the last event's absolute time), and points at 10% and 90%.
end=$(tail -n 1 "$big" | sed 's/^\[\([0-9.]*\),.*/\1/')
p10=$(awk -v e="$end" 'BEGIN{printf "%.3f", e * 0.1}')
p90=$(awk -v e="$end" 'BEGIN{printf "%.3f", e * 0.9}')

# measure NAME CMD...: best wall seconds and peak RSS (KiB) of CMD > $out/result
measure() {
  local name=$1; shift
  local best="" rss=0
  for _ in $(seq "$repeat"); do
    /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" > "$out/result"
    read -r wall kib < "$out/time.txt"
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; fi
    [ "$kib" -gt "$rss" ] && rss=$kib
  done
  echo "$name|$best|$rss"
}

results=()
results+=("$(measure "cat" cat "$big")")
results+=("$(measure "cast-idle -l 1" "$bin/cast-idle" -l 1 "$big")")
results+=("$(measure "cut --to 90%" "$bin/cast-cut" --to "$p90" "$big")")
results+=("$(measure "cut --no-repaint 10%-90%" "$bin/cast-cut" --no-repaint --from "$p10" --to "$p90" "$big")")
results+=("$(measure "cut --from 90% (repaint)" "$bin/cast-cut" --from "$p90" "$big")")
results+=("$(measure "cut --remove 10%-90% (repaint)" "$bin/cast-cut" --remove "$p10-$p90" "$big")")

base=$(echo "${results[0]}" | cut -d'|' -f2)
printf '%-34s %9s %10s %9s %10s\n' "command ($((bytes / 1048576)) MiB, ${end}s)" "seconds" "MiB/s" "vs cat" "peak RSS"
for r in "${results[@]}"; do
  IFS='|' read -r name wall rss <<< "$r"
  awk -v n="$name" -v w="$wall" -v b="$base" -v by="$bytes" -v k="$rss" 'BEGIN{
    w2 = (w > 0 ? w : 0.001);
    printf "%-34s %9.2f %10.0f %8.2fx %7.1f MiB\n", n, w, by / 1048576 / w2, w2 / (b > 0 ? b : 0.001), k / 1024 }'
done
rm -f "$out/result"
