#!/usr/bin/env bash
# cast-merge-stderr, cast-cat and cast-info beside `cat` on the same bytes, in one run.
#
#   bench/tools3.sh [SIZE_MB]     (default 300; the file is generated once and kept)
#
# Environment: REPEAT (default 3; the best wall time counts), CORPUS (default ../shared/corpus),
# BIN (default target/release, built here). Output goes to a file on the same disk, as for cat.
# For cast-info the CPU time (user+sys) is shown beside the wall time: above 100% means it
# used more than one core.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-300}
repeat=${REPEAT:-3}
out=bench/out
mkdir -p "$out"
big="$out/tools3-${size}mb.cast"
[ -s "$big" ] || { echo "generating $big ..." >&2; python3 bench/tools3_gen.py "$big" "$size"; }
command -v /usr/bin/time >/dev/null || { echo "needs GNU time: apt-get install time" >&2; exit 2; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=${CARGO_TARGET_DIR:-target}/release
fi
corpus=${CORPUS:-../shared/corpus}
bytes=$(stat -c %s "$big")
cat "$big" "$big" > /dev/null # warm the page cache

# measure NAME CMD...: best wall seconds, its CPU seconds, peak RSS (KiB); output to $out/result
measure() {
  local name=$1; shift
  local best="" cpu="" rss=0
  for _ in $(seq "$repeat"); do
    /usr/bin/time -q -f "%e %U %S %M" -o "$out/time.txt" "$@" > "$out/result" 2> "$out/stderr" || true
    read -r wall user sys kib < "$out/time.txt"
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then
      best=$wall; cpu=$(awk "BEGIN{print $user + $sys}")
    fi
    [ "$kib" -gt "$rss" ] && rss=$kib
  done
  echo "$name|$best|$cpu|$rss"
}

# table BASE_SECONDS ROWS...: one line per measurement, with the ratio to BASE_SECONDS
table() {
  local base=$1; shift
  printf '%-46s %8s %8s %6s %8s %10s\n' "command" "wall s" "cpu s" "cpu%" "vs cat" "peak RSS"
  for r in "$@"; do
    IFS='|' read -r name wall cpu rss <<< "$r"
    awk -v n="$name" -v w="$wall" -v c="$cpu" -v b="$base" -v k="$rss" 'BEGIN{
      w2 = (w > 0 ? w : 0.001); b2 = (b > 0 ? b : 0.001);
      printf "%-46s %8.2f %8.2f %5.0f%% %7.2fx %6.1f MiB\n", n, w, c, 100 * c / w2, w2 / b2, k / 1024 }'
  done
}

echo "== filters on $(basename "$big") ($((bytes / 1048576)) MiB, $(grep -c '"e",' "$big") e events)"
rows=()
rows+=("$(measure "cat FILE" cat "$big")")
rows+=("$(measure "cast-idle -l 1000 FILE (reference)" "$BIN/cast-idle" -l 1000 "$big")")
rows+=("$(measure "cast-merge-stderr FILE" "$BIN/cast-merge-stderr" "$big")")
rows+=("$(measure "cast-merge-stderr --color FILE" "$BIN/cast-merge-stderr" --color "$big")")
rows+=("$(measure "cast-merge-stderr --drop FILE" "$BIN/cast-merge-stderr" --drop "$big")")
rows+=("$(measure "cast-merge-stderr --only FILE" "$BIN/cast-merge-stderr" --only "$big")")
rows+=("$(measure "cast-cat FILE" "$BIN/cast-cat" "$big")")
rows+=("$(measure "cast-cat --format v3 FILE" "$BIN/cast-cat" --format v3 "$big")")
base=$(echo "${rows[0]}" | cut -d'|' -f2)
table "$base" "${rows[@]}"

echo
echo "== joining: the file twice"
rows=()
rows+=("$(measure "cat FILE FILE" cat "$big" "$big")")
rows+=("$(measure "cast-cat FILE FILE" "$BIN/cast-cat" "$big" "$big")")
rows+=("$(measure "cast-cat --gap 1 FILE FILE" "$BIN/cast-cat" --gap 1 "$big" "$big")")
base=$(echo "${rows[0]}" | cut -d'|' -f2)
table "$base" "${rows[@]}"

echo
echo "== cast-info (cpu% above 100 means more than one core; $(nproc) CPUs)"
rows=()
rows+=("$(measure "cat FILE" cat "$big")")
rows+=("$(measure "cast-info FILE" "$BIN/cast-info" "$big")")
rows+=("$(measure "cast-info --json FILE" "$BIN/cast-info" --json "$big")")
if [ -d "$corpus" ]; then
  mapfile -t files < <(find "$corpus" -maxdepth 1 -type f \( -name '*.cast' -o -name '*.json' \) | sort)
  many=()
  for _ in $(seq 20); do many+=("${files[@]}"); done
  corpus_bytes=$(cat "${files[@]}" | wc -c)
  rows+=("$(measure "cast-info CORPUS (${#files[@]} files)" "$BIN/cast-info" "${files[@]}")")
  rows+=("$(measure "cast-info -j 1 CORPUS" "$BIN/cast-info" -j 1 "${files[@]}")")
  rows+=("$(measure "cast-info CORPUS x20 (${#many[@]} files)" "$BIN/cast-info" "${many[@]}")")
  rows+=("$(measure "cast-info -j 1 CORPUS x20" "$BIN/cast-info" -j 1 "${many[@]}")")
  rows+=("$(measure "cat CORPUS x20" cat "${many[@]}")")
  echo "corpus: ${#files[@]} files, $((corpus_bytes / 1024)) KiB"
fi
base=$(echo "${rows[0]}" | cut -d'|' -f2)
table "$base" "${rows[@]}"
# On a busy machine cpu% cannot pass 100; how the work was split across threads still shows.
if [ -d "$corpus" ] && command -v perf > /dev/null; then
  echo
  echo "cast-info CORPUS x20: share of CPU samples per thread (perf)"
  perf record -q -o "$out/perf.data" "$BIN/cast-info" "${many[@]}" > /dev/null 2>&1 || true
  perf report -i "$out/perf.data" --sort pid --stdio 2> /dev/null | grep -E '^ +[0-9]' || true
  rm -f "$out/perf.data"
fi
rm -f "$out/result" "$out/stderr" "$out/time.txt"
