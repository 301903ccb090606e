#!/usr/bin/env bash
# Every streaming tool's throughput and peak memory beside `cat FILE > OUT`, in one run, on two
# large generated recordings (bench/gen.py): a typing-heavy one and one with the corpus's mix.
#
#   bench/run.sh [SIZE_MB]        (default 300; the files are generated once and kept)
#
# REPEAT (default 5) runs of each command; the median counts. Output goes to a file
# on the same disk, as for cat. The other scripts here measure what needs another baseline:
# cut.sh (repaint), grep.sh (grep, asciinema, threads), txt.sh (asciinema), rec.sh (script,
# asciinema rec), tools3.sh (cast-info over many files).
source "$(dirname "$0")/common.sh"
echo "machine: $(nproc) cores, load average $(load)"

# Two generated files, as issue 22 asks: typing-heavy (gen.py's default: 84% of event lines
# are one keystroke, though the log bursts between hold most of the bytes) and the public
# corpus's mix (about 18% of event lines keystroke-sized, the cost per byte dominates). A third
# holds nothing but typed keys: the cost per event alone.
for mix in typing corpus keys; do
  if [ "$mix" = typing ]; then big=$(bench_file "${1:-300}"); else big=$(bench_file "${1:-300}" --mix "$mix"); fi
  bytes=$(stat -L -c %s "$big")
  end=$(tail -n 1 "$big" | sed 's/^\[\([0-9.]*\),.*/\1/')
  half=$(awk -v e="$end" 'BEGIN{printf "%.3f", e / 2}')
  echo
  echo "$mix mix: $big"
  base=$(measure "cat FILE > OUT" cat "$big")
  rows=(
    # The floor for any program that reads and writes through user space, as castkit's
    # filters must: cat above copies inside the kernel (copy_file_range) and never does.
    "$(measure "dd bs=128K (read(2)/write(2), no parsing)" dd bs=128K status=none "if=$big")"
    "$(measure "cast-idle -l 1" "$BIN/cast-idle" -l 1 "$big")"
    "$(measure "cast-idle -l 1 --format v3" "$BIN/cast-idle" -l 1 --format v3 "$big")"
    "$(measure "cast-speed -f 2" "$BIN/cast-speed" -f 2 "$big")"
    "$(measure "cast-cut --no-repaint --from HALF" "$BIN/cast-cut" --no-repaint --from "$half" "$big")"
    "$(measure "cast-merge-stderr" "$BIN/cast-merge-stderr" "$big")"
    "$(measure "cast-cat --format v3" "$BIN/cast-cat" --format v3 "$big")"
    "$(measure "cast-info" "$BIN/cast-info" "$big")"
    "$(measure "cast-to-txt --raw" "$BIN/cast-to-txt" --raw "$big")"
    "$(measure "cast-grep -c -F error" "$BIN/cast-grep" -c -F error "$big")"
    "$(measure "grep -c error (raw JSON, for cast-grep)" grep -c error "$big")"
  )
  table "$bytes" "$base" "${rows[@]}"
done
rm -f "$out/result"
