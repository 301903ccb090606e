#!/usr/bin/env bash
# Peak memory on a recording whose middle event is one huge line (issue 16: every tool within
# 1.5x the longest line plus a constant). Prints each tool's peak RSS beside the line's size.
#
#   bench/bigevent.sh [EVENT_MB] [OLD_BIN_DIR]   (default 256; OLD_BIN_DIR adds a column)
#
# The file is generated once into bench/out (gitignored). The event's data has escapes and
# colour sequences every 80 bytes, so tools that decode it do real work.
source "$(dirname "$0")/common.sh"
mb=${1:-256}
old=${2:-}
f="$out/bigevent-${mb}mb.cast"
if [ ! -s "$f" ]; then
  echo "generating $f ..." >&2
  python3 - "$f" "$mb" <<'EOF'
import sys
path, mb = sys.argv[1], int(sys.argv[2])
piece = b'x' * 70 + b'\\r\\n' + b'\\u001b[31mred\\u001b[0m '
with open(path, 'wb') as w:
    w.write(b'{"version":2,"width":80,"height":24}\n[0.5,"o","start\\r\\n"]\n[1.0,"o","')
    w.write(piece * (mb * 1024 * 1024 // len(piece)))
    w.write(b'"]\n[2.0,"o","end\\r\\n"]\n')
EOF
fi
line=$(sed -n 3p "$f" | wc -c)
echo "machine: $(nproc) cores, load average $(load); longest line $((line / 1024 / 1024)) MiB"

tools=(
  "cast-info|"
  "cast-idle|-l 1"
  "cast-speed|-f 2"
  "cast-cat|--format v3"
  "cast-merge-stderr|"
  "cast-cut|--no-repaint --from 0.7"
  "cast-cut|--from 1.5"
  "cast-grep|-c -F red"
  "cast-to-txt|--raw"
  "cast-to-txt|"
  "cast-redact|-e secret"
)
peak() { # BIN TOOL ARGS... -> "seconds peakKiB"
  local bin=$1 tool=$2; shift 2
  rm -f "$out/result"; sync
  /usr/bin/time -q -f "%e %M" -o "$out/time.txt" "$bin/$tool" "$@" "$f" > "$out/result" 2>/dev/null || true
  cat "$out/time.txt"
}
printf '%-32s %10s %8s %8s' "command" "peak MiB" "x line" "wall s"
[ -n "$old" ] && printf ' %12s %8s' "before MiB" "x line"
echo
for spec in "${tools[@]}"; do
  IFS='|' read -r tool args <<< "$spec"
  # shellcheck disable=SC2086
  read -r secs kib <<< "$(peak "$BIN" "$tool" $args)"
  printf '%-32s %10.1f %8.2f %8.2f' "$tool $args" "$(echo "$kib / 1024" | bc -l)" \
    "$(echo "$kib * 1024 / $line" | bc -l)" "$secs"
  if [ -n "$old" ]; then
    # shellcheck disable=SC2086
    read -r _ okib <<< "$(peak "$old" "$tool" $args)"
    printf ' %12.1f %8.2f' "$(echo "$okib / 1024" | bc -l)" "$(echo "$okib * 1024 / $line" | bc -l)"
  fi
  echo
done
rm -f "$out/result"
