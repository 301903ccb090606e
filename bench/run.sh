#!/usr/bin/env bash
# Throughput and peak memory of castkit's filters beside `cat FILE > OUT`, in one run.
#
#   bench/run.sh [SIZE_MB]        (default 300; the file is generated once and kept)
#
# Each command runs REPEAT times (default 3); the best wall time counts. Output goes to a
# file on the same disk as the input, as for cat, so the ratio compares like with like.
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
bin=target/release
bytes=$(stat -c %s "$big")
cat "$big" > /dev/null # warm the page cache

# measure NAME CMD...: best wall seconds, best CPU seconds (user+sys) and peak RSS (KiB) of
# CMD > $out/result. CPU time is reported too because wall time swings on a busy machine.
measure() {
  local name=$1; shift
  local best="" cpu="" rss=0
  for _ in $(seq "$repeat"); do
    /usr/bin/time -f "%e %U %S %M" -o "$out/time.txt" "$@" > "$out/result"
    read -r wall user sys kib < "$out/time.txt"
    c=$(awk "BEGIN{print $user + $sys}")
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; fi
    if [ -z "$cpu" ] || awk "BEGIN{exit !($c < $cpu)}"; then cpu=$c; fi
    [ "$kib" -gt "$rss" ] && rss=$kib
  done
  echo "$name|$best|$cpu|$rss"
}

results=()
results+=("$(measure "cat" cat "$big")")
results+=("$(measure "cast-idle -l 1" $bin/cast-idle -l 1 "$big")")
results+=("$(measure "cast-speed -f 2" $bin/cast-speed -f 2 "$big")")
results+=("$(measure "cast-idle --format v3" $bin/cast-idle -l 1000000 --format v3 "$big")")

IFS='|' read -r _ base basecpu _ <<< "${results[0]}"
printf '%-30s %8s %8s %8s %8s %8s %10s\n' "command ($((bytes / 1048576)) MiB)" "wall s" "MiB/s" "vs cat" "cpu s" "vs cat" "peak RSS"
for r in "${results[@]}"; do
  IFS='|' read -r name wall cpu rss <<< "$r"
  awk -v n="$name" -v w="$wall" -v c="$cpu" -v b="$base" -v bc="$basecpu" -v by="$bytes" -v k="$rss" 'BEGIN{
    w2 = (w > 0 ? w : 0.001); c2 = (c > 0 ? c : 0.001);
    printf "%-30s %8.2f %8.0f %7.2fx %8.2f %7.2fx %6.1f MiB\n", n, w, by / 1048576 / w2, w2 / (b > 0 ? b : 0.001), c, c2 / (bc > 0 ? bc : 0.001), k / 1024 }'
done
rm -f "$out/result"
