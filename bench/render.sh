#!/usr/bin/env bash
# cast-to-gif and cast-to-svg benchmarks:
#
#   1. cast-to-gif on a 20-minute 120x40 recording from bench/gen.py (1.2 MB) and on the 80x24
#      demo (examples/demo.cast), agg's default settings: wall time, frames written, frames per
#      second, peak RSS, GIF size; beside agg 1.9.0's figures measured on this machine
#      (/work/shared/FACTS.md), or agg itself when AGG names its binary;
#   2. the PNG poster (--at T -o x.png) on the demo, against --at 0 (nothing emulated): the
#      difference is what drawing and encoding the poster costs once the emulator is at T;
#   3. cast-to-svg on both: time, peak RSS, size, size per minute of recording; and
#      svg-term-cli (npm) on the demo when SVG_TERM names its binary.
#
#   bench/render.sh [MEGABYTES]        default 1.2 (the recording agg's figures are for)
#
# Each command runs REPEAT times (default 3); the best wall time counts, with the peak RSS of
# all runs.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mb=${1:-1.2}
big=$(bench_file "$mb")
demo=examples/demo.cast

# frames FILE.gif: the number of images in a GIF (walks its blocks).
frames() {
  python3 - "$1" <<'EOF'
import sys
d = open(sys.argv[1], "rb").read()
i = 13
if d[10] & 0x80:
    i += 3 << ((d[10] & 7) + 1)
n = 0
while i < len(d):
    b = d[i]
    if b == 0x3B:
        break
    if b == 0x21:
        i += 2
        while d[i]:
            i += d[i] + 1
        i += 1
    elif b == 0x2C:
        n += 1
        flags = d[i + 9]
        i += 10
        if flags & 0x80:
            i += 3 << ((flags & 7) + 1)
        i += 1
        while d[i]:
            i += d[i] + 1
        i += 1
    else:
        break
print(n)
EOF
}

# minutes FILE: the recording's duration in minutes (v2, absolute times).
minutes() {
  python3 -c 'import json,sys
t=0
for i,l in enumerate(open(sys.argv[1])):
    if i and l.startswith("["): t=json.loads(l)[0]
print(t/60)' "$1"
}

row() { # NAME RESULT_ROW OUTPUT_FILE [FRAMES]
  local name=$1 r=$2 f=$3 n=${4:-}
  IFS='|' read -r _ wall cpu rss <<< "$r"
  local size; size=$(stat -c %s "$f")
  if [ -n "$n" ]; then
    awk -v n="$name" -v w="$wall" -v c="$cpu" -v k="$rss" -v s="$size" -v fr="$n" 'BEGIN{
      printf "%-34s %8.2f s %8.2f s cpu %7.1f MiB %9.2f MB %7d frames %9.1f frames/s\n",
        n, w, c, k / 1024, s / 1e6, fr, fr / (w > 0 ? w : 0.001) }'
  else
    awk -v n="$name" -v w="$wall" -v c="$cpu" -v k="$rss" -v s="$size" 'BEGIN{
      printf "%-34s %8.3f s %8.3f s cpu %7.1f MiB %9.3f MB\n", n, w, c, k / 1024, s / 1e6 }'
  fi
}

echo "machine: $(nproc) cores, load $(load); fonts: $(fc-match monospace 2>/dev/null || echo '?')"
echo "big: $big ($(stat -c %s "$big") bytes, $(grep -c '^\[' "$big") events, $(minutes "$big") min)"
echo
echo "== cast-to-gif (agg's defaults: 30 fps cap, idle limit 5 s, font 14 px, line height 1.4)"
r=$(measure "cast-to-gif big" "$BIN/cast-to-gif" "$big" -o "$out/big.gif")
row "cast-to-gif 20-min 120x40" "$r" "$out/big.gif" "$(frames "$out/big.gif")"
r=$(measure "cast-to-gif demo" "$BIN/cast-to-gif" "$demo" -o "$out/demo.gif")
row "cast-to-gif demo 80x24" "$r" "$out/demo.gif" "$(frames "$out/demo.gif")"
if [ -n "${AGG:-}" ]; then
  r=$(measure "agg big" "$AGG" "$big" "$out/agg-big.gif")
  row "agg 20-min 120x40" "$r" "$out/agg-big.gif" "$(frames "$out/agg-big.gif")"
  r=$(measure "agg demo" "$AGG" "$demo" "$out/agg-demo.gif")
  row "agg demo 80x24" "$r" "$out/agg-demo.gif" "$(frames "$out/agg-demo.gif")"
else
  echo "agg 1.9.0 20-min 120x40 (FACTS.md)    595.00 s                     865.0 MiB     45.00 MB    ~8690 frames      14.6 frames/s"
  echo "agg 1.9.0 demo 80x24 (FACTS.md)          2.10 s                      88.0 MiB      0.012 MB      43 frames"
fi
echo
echo "== poster: --at T -o x.png on the demo (fonts loaded and the file read in both)"
r0=$(measure "poster at 0" "$BIN/cast-to-gif" --at 0 "$demo" -o "$out/p0.png")
row "poster --at 0" "$r0" "$out/p0.png"
r1=$(measure "poster at end" "$BIN/cast-to-gif" --at 12 "$demo" -o "$out/p1.png")
row "poster --at 12" "$r1" "$out/p1.png"
echo
echo "== cast-to-svg (same timeline settings)"
r=$(measure "cast-to-svg big" "$BIN/cast-to-svg" "$big" -o "$out/big.svg")
row "cast-to-svg 20-min 120x40" "$r" "$out/big.svg"
awk -v s="$(stat -c %s "$out/big.svg")" -v m="$(minutes "$big")" 'BEGIN{printf "  %.0f KB per minute of recording\n", s / 1000 / m}'
r=$(measure "cast-to-svg demo" "$BIN/cast-to-svg" "$demo" -o "$out/demo.svg")
row "cast-to-svg demo 80x24" "$r" "$out/demo.svg"
if [ -n "${SVG_TERM:-}" ]; then
  r=$(measure "svg-term demo" sh -c "\"$SVG_TERM\" --in \"$demo\" --out \"$out/svgterm-demo.svg\" --window false")
  row "svg-term-cli demo 80x24" "$r" "$out/svgterm-demo.svg"
fi
