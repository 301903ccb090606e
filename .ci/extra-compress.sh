#!/usr/bin/env bash
# Compressed copies of the corpus: every tool of the sweep (.ci/sweep.sh and .ci/sweep-tools)
# runs on a gzip or zstd copy (in turn) of each recording in ../shared/corpus (made here, in a
# temporary folder: the corpus files are their authors' and never enter the repository) and
# on a copy of each cut off in the middle, and fails on:
#   - output or exit status on a whole compressed copy that differs from the plain file's
#     (file names aside);
#   - a panic, or an exit status other than 0 or 2 (1 for cast-grep), on a cut-off copy.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-target/debug}
corpus=${CORPUS:-../shared/corpus}
[ -d "$corpus" ] || { echo "no $corpus: compressed sweep skipped"; exit 0; }
if ! command -v zstd >/dev/null; then
  if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get install -y -qq zstd >/dev/null 2>&1 \
    || { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq zstd >/dev/null; } \
    || { echo "zstd not installable: compressed sweep skipped"; exit 0; }
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
TOOLS=("cast-idle|-l 1|cast" "cast-speed|-f 1.7|cast" "cast-idle|-l 1 --format v3|cast")
[ -f .ci/sweep-tools ] && while IFS= read -r line; do
  [ -n "$line" ] && [ "${line:0:1}" != "#" ] && TOOLS+=("$line")
done < .ci/sweep-tools
files=()
for f in "$corpus"/*.cast "$corpus"/*.json examples/demo.cast; do [ -f "$f" ] && files+=("$f"); done
runs=0 failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
k=0
for f in "${files[@]}"; do
  b=$(basename "$f")
  k=$((k + 1))
  if [ $((k % 2)) = 0 ]; then ext=gz; gzip -6 -c < "$f" > "$work/$b.$ext"
  else ext=zst; zstd -q -3 -c < "$f" > "$work/$b.$ext"; fi
  z=$work/$b.$ext
  head -c $(( $(stat -c %s "$z") / 2 )) "$z" > "$work/cut-$b.$ext"
  for spec in "${TOOLS[@]}"; do
    IFS='|' read -r tool args _ <<< "$spec"
    # cast-play sleeps through idle time on a file; its output is checked by the sweep.
    # shellcheck disable=SC2086
    "$bin/$tool" $args "$f" > "$work/want" 2> /dev/null < /dev/null
    want=$?
    runs=$((runs + 1))
    # shellcheck disable=SC2086
    "$bin/$tool" $args "$z" > "$work/got" 2> "$work/err" < /dev/null
    got=$?
    # File names, and what cast-to-html derives from them (its element id), aside.
    sed -i "s|$z|$f|g; s|$b.$ext|$b|g" "$work/got"
    sed -i -E 's/castkit-player-[0-9a-f]{8}/castkit-player-ID/g' "$work/got" "$work/want"
    if [ "$got" != "$want" ] || ! cmp -s "$work/want" "$work/got"; then
      fail "$tool $args $z: exit $got (plain: $want) or output differs: $(head -c 300 "$work/err")"
    fi
    runs=$((runs + 1))
    # shellcheck disable=SC2086
    "$bin/$tool" $args "$work/cut-$b.$ext" > /dev/null 2> "$work/err" < /dev/null
    code=$?
    ok="0 2"; [ "$tool" = cast-grep ] && ok="0 1 2"
    if [[ " $ok " != *" $code "* ]] || grep -q panicked "$work/err"; then
      fail "$tool $args cut-$b.$ext: exit $code: $(head -c 300 "$work/err")"
    fi
  done
done
echo "compressed sweep of ${#files[@]} files (gzip or zstd, and cut-off copies): $((runs - failures)) passed, $failures failed"
[ "$failures" = 0 ]
