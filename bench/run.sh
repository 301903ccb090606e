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
  echo "$name $best $rss"
}

results=()
results+=("$(measure "cat" cat "$big")")
results+=("$(measure "cast-idle -l 1" $bin/cast-idle -l 1 "$big")")
results+=("$(measure "cast-speed -f 2" $bin/cast-speed -f 2 "$big")")
results+=("$(measure "cast-idle --format v3" $bin/cast-idle -l 1000000 --format v3 "$big")")

base=$(echo "${results[0]}" | awk '{print $(NF-1)}')
printf '%-28s %9s %10s %9s %10s\n' "command ($((bytes / 1048576)) MiB)" "seconds" "MiB/s" "vs cat" "peak RSS"
for r in "${results[@]}"; do
  rss=${r##* }; rest=${r% *}; wall=${rest##* }; name=${rest% *}
  awk -v n="$name" -v w="$wall" -v b="$base" -v by="$bytes" -v k="$rss" 'BEGIN{
    w2 = (w > 0 ? w : 0.001);
    printf "%-28s %9.2f %10.0f %8.2fx %7.1f MiB\n", n, w, by / 1048576 / w2, w2 / (b > 0 ? b : 0.001), k / 1024 }'
done
rm -f "$out/result"
