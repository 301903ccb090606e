#!/usr/bin/env bash
# cast-merge-stderr, cast-cat and cast-info beside `cat` on the same bytes, in one run.
#
#   bench/tools3.sh [SIZE_MB]     (default 300; bench/gen.py's file, generated once and kept)
#
# Environment: REPEAT, BIN (see common.sh), CORPUS (default ../shared/corpus). For cast-info
# the CPU time (user+sys) is shown beside the wall time: more CPU than wall time means it used
# more than one core.
source "$(dirname "$0")/common.sh"
big=$(bench_file "${1:-300}")
corpus=${CORPUS:-../shared/corpus}
bytes=$(stat -L -c %s "$big")

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
table "$bytes" "${rows[@]}"

echo
echo "== joining: the file twice"
rows=()
rows+=("$(measure "cat FILE FILE" cat "$big" "$big")")
rows+=("$(measure "cast-cat FILE FILE" "$BIN/cast-cat" "$big" "$big")")
rows+=("$(measure "cast-cat --gap 1 FILE FILE" "$BIN/cast-cat" --gap 1 "$big" "$big")")
table "$((2 * bytes))" "${rows[@]}"

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
table "$bytes" "${rows[@]}"
# On a busy machine cpu% cannot pass 100; how the work was split across threads still shows.
if [ -d "$corpus" ] && command -v perf > /dev/null; then
  echo
  echo "cast-info CORPUS x20: share of CPU samples per thread (perf)"
  perf record -q -o "$out/perf.data" "$BIN/cast-info" "${many[@]}" > /dev/null 2>&1 || true
  perf report -i "$out/perf.data" --sort pid --stdio 2> /dev/null | grep -E '^ +[0-9]' || true
  rm -f "$out/perf.data"
fi
rm -f "$out/result" "$out/stderr" "$out/time.txt"
