#!/usr/bin/env bash
# Checks that two builds behave the same: every tool, on every recording of a folder, on
# copies cut off at several byte offsets, and on copies with damage typical of real files
# (CRLF line ends, bytes flipped inside strings), must give byte-identical standard output,
# standard error and exit status. For changes meant to be invisible (performance work).
#
#   bench/same-output.sh OLD_BIN_DIR NEW_BIN_DIR CORPUS_DIR
set -uo pipefail
old=${1:?usage: same-output.sh OLD_BIN_DIR NEW_BIN_DIR CORPUS_DIR} new=${2:?} corpus=${3:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

TOOLS=(
  "cast-idle|-l 1"
  "cast-idle|-l 0.3 --format v3"
  "cast-speed|-f 1.7"
  "cast-speed|-f 0.5 --format v2"
  "cast-speed|--from 1 --to 5 -f 3 --format v3"
  "cast-cut|--remove 1-3"
  "cast-cut|--from 0.7 --to 20 --format v3"
  "cast-merge-stderr|--color"
  "cast-merge-stderr|--only --format v3"
  "cast-cat|--format v3"
  "cast-cat|--gap 1 --format v2"
  "cast-info|"
  "cast-info|--json"
  "cast-grep|-c -i error"
  "cast-grep|--json -w the"
  "cast-grep|--cast -e e"
  "cast-grep|-C 2 -F \$"
  "cast-to-txt|"
  "cast-to-txt|--raw --timestamps"
  "cast-to-txt|--raw"
  "cast-to-txt|--raw --stderr exclude"
  "cast-redact|--preset all -e [0-9]{4} --format v3"
  "cast-to-html|--embed --start-at 1"
)

RANDOM=11
inputs=()
n=0
for f in "$corpus"/*; do
  case "$f" in *.cast|*.json) ;; *) continue ;; esac
  inputs+=("$f")
  size=$(stat -c %s "$f")
  for k in 1 2 3; do
    c="$work/in-$n-cut$k.cast"
    head -c $(( size > 1 ? (RANDOM * 32768 + RANDOM) % size : 0 )) "$f" > "$c"
    inputs+=("$c")
  done
  sed 's/$/\r/' "$f" > "$work/in-$n-crlf.cast"
  inputs+=("$work/in-$n-crlf.cast")
  # A few bytes of the events replaced by a quote, a backslash, ESC, a raw 0xff, a 'u'.
  python3 - "$f" "$work/in-$n-bent.cast" "$n" <<'EOF'
import random, sys
src, dst, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = bytearray(open(src, 'rb').read())
rnd = random.Random(seed)
first = data.find(b'\n') + 1
for _ in range(8):
    if len(data) > first + 1:
        data[rnd.randrange(first, len(data))] = rnd.choice(b'"\\\x1b\xffu0')
open(dst, 'wb').write(data)
EOF
  inputs+=("$work/in-$n-bent.cast")
  n=$((n + 1))
done

runs=0
diffs=0
for input in "${inputs[@]}"; do
  for spec in "${TOOLS[@]}"; do
    IFS='|' read -r tool args <<< "$spec"
    for side in old new; do
      dir=$old
      [ "$side" = new ] && dir=$new
      # shellcheck disable=SC2086
      "$dir/$tool" $args "$input" > "$work/$side.out" 2> "$work/$side.err" < /dev/null
      echo "exit $?" >> "$work/$side.err"
      # Messages name the input; the binaries' own paths never appear.
    done
    runs=$((runs + 1))
    if ! cmp -s "$work/old.out" "$work/new.out" || ! cmp -s "$work/old.err" "$work/new.err"; then
      diffs=$((diffs + 1))
      echo "DIFFERENT: $tool $args $input"
      diff <(head -c 2000 "$work/old.err") <(head -c 2000 "$work/new.err") | head -5
    fi
  done
done
echo "$runs runs over ${#inputs[@]} inputs, $diffs different"
[ "$diffs" -eq 0 ]
