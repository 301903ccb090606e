#!/usr/bin/env bash
# cast-cut's throughput and peak memory beside `cat FILE > OUT`, in one run.
#
#   bench/cut.sh [SIZE_MB]        (default 300; the file comes from bench/gen.py, kept)
#
# A plain time cut (no seam needs a repaint) should be in cast-idle's speed class. A cut with a
# repaint feeds all output up to its last seam through the terminal emulator; its rate is
# reported as input MiB per second over the whole file.
source "$(dirname "$0")/common.sh"
big=$(bench_file "${1:-300}")
bytes=$(stat -L -c %s "$big")
# The recording's length (v2: the last event's absolute time), and points at 10% and 90%.
end=$(tail -n 1 "$big" | sed 's/^\[\([0-9.]*\),.*/\1/')
p10=$(awk -v e="$end" 'BEGIN{printf "%.3f", e * 0.1}')
p90=$(awk -v e="$end" 'BEGIN{printf "%.3f", e * 0.9}')
echo "machine: $(nproc) cores, load average $(load); recording ${end}s"
rows=(
  "$(measure "cast-idle -l 1" "$BIN/cast-idle" -l 1 "$big")"
  "$(measure "cut --to 90%" "$BIN/cast-cut" --to "$p90" "$big")"
  "$(measure "cut --no-repaint 10%-90%" "$BIN/cast-cut" --no-repaint --from "$p10" --to "$p90" "$big")"
  "$(measure "cut --from 90% (repaint)" "$BIN/cast-cut" --from "$p90" "$big")"
  "$(measure "cut --remove 10%-90% (repaint)" "$BIN/cast-cut" --remove "$p10-$p90" "$big")"
)
table "$bytes" "$(measure "cat FILE > OUT" cat "$big")" "${rows[@]}"
rm -f "$out/result"
