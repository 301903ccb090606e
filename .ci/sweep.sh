#!/usr/bin/env bash
# Runs every castkit tool on every recording in a folder (the shared corpus), and on a copy of
# each cut off at a random byte offset, and fails on:
#   - a panic (exit 101, or "panicked" on stderr), or any exit status other than 0 or 2
#     (1 is allowed for cast-grep: no match);
#   - a tool that writes a recording whose output does not read back.
#
#   .ci/sweep.sh CORPUS_DIR [BIN_DIR]
set -uo pipefail
corpus=${1:?usage: sweep.sh CORPUS_DIR [BIN_DIR]}
bin=${2:-target/debug}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# tool|arguments|kind (cast: output is a recording; text: anything)
TOOLS=(
  "cast-idle|-l 1|cast"
  "cast-speed|-f 1.7|cast"
  "cast-idle|-l 1 --format v3|cast"
  "cast-speed|-f 0.5 --format v2|cast"
)
# Tools that land later add their lines here; a tool whose binary is missing is an error.
[ -f .ci/sweep-tools ] && while IFS= read -r line; do
  [ -n "$line" ] && [ "${line:0:1}" != "#" ] && TOOLS+=("$line")
done < .ci/sweep-tools

fail=0
failures=0
runs=0
RANDOM=7 # deterministic cut points
files=()
for f in "$corpus"/*; do
  case "$f" in *.cast|*.json) files+=("$f") ;; esac
done
for f in "${files[@]}"; do
  size=$(stat -c %s "$f")
  cut="$work/cut-$(basename "$f")"
  head -c $(( size > 1 ? (RANDOM * 32768 + RANDOM) % size : 0 )) "$f" > "$cut"
  for input in "$f" "$cut"; do
    for spec in "${TOOLS[@]}"; do
      IFS='|' read -r tool args kind <<< "$spec"
      runs=$((runs + 1))
      # shellcheck disable=SC2086
      "$bin/$tool" $args "$input" > "$work/out" 2> "$work/err" < /dev/null
      code=$?
      ok_codes="0 2"
      [ "$tool" = "cast-grep" ] && ok_codes="0 1 2"
      if [[ " $ok_codes " != *" $code "* ]] || grep -q "panicked" "$work/err"; then
        echo "FAIL: $tool $args $input: exit $code: $(head -c 500 "$work/err")"
        fail=1
        failures=$((failures + 1))
        continue
      fi
      if [ "$code" = 0 ] && [ "$kind" = cast ]; then
        if ! "$bin/cast-idle" -q -l 1000000 "$work/out" > /dev/null 2> "$work/err2"; then
          echo "FAIL: $tool $args $input: output does not read back: $(head -c 300 "$work/err2")"
          fail=1
          failures=$((failures + 1))
        fi
      fi
    done
  done
done
echo "sweep of ${#files[@]} files and a cut-off copy of each:"
echo "sweep: $((runs - failures)) passed, $failures failed"
exit $fail
