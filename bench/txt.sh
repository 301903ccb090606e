#!/usr/bin/env bash
# cast-to-txt benchmarks, each against its baseline measured in the same run:
#
#   1. the default transcript vs `asciinema convert -f txt` on one large generated recording
#      (the outputs must be identical: the file has no clears and no full-screen programs);
#   2. --raw vs `cat FILE > OUT` and vs cast-idle (the speed class --raw must be in);
#   3. a batch over the corpus with -j 1 vs -j 2 (how busy both cores are).
#
#   bench/txt.sh [MEGABYTES] [CORPUS_DIR]      defaults: 300, ../shared/corpus
#
# Each command runs RUNS times (default 3); the best wall time is reported with the CPU
# time of that run. Set CAST_BIN to a directory of castkit binaries to skip the build, and
# ASCIINEMA to the reference binary.

set -euo pipefail

mb=${1:-300}
corpus=${2:-../shared/corpus}
runs=${RUNS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
ref=${ASCIINEMA:-asciinema}
if [[ -z ${CAST_BIN:-} ]]; then
    (cd "$root" && cargo build --release --quiet)
    CAST_BIN=${CARGO_TARGET_DIR:-$root/target}/release
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# best NAME CMD...: runs CMD (a shell string) $runs times, prints the best wall time.
best() {
    local name=$1 cmd=$2 line best_line= best_wall=
    for _ in $(seq "$runs"); do
        # Exit status ignored: a batch over the corpus fails on its broken files.
        /usr/bin/time -o "$tmp/time" -f '%e %U %S' bash -c "$cmd" >/dev/null 2>&1 || true
        line=$(tail -n1 "$tmp/time")
        read -r wall _ _ <<<"$line"
        if [[ -z $best_wall ]] || awk "BEGIN{exit !($wall < $best_wall)}"; then
            best_wall=$wall best_line=$line
        fi
    done
    read -r wall user sys <<<"$best_line"
    printf '  %-44s %7.2f s wall  %7.2f s cpu  (%.2f cores busy)\n' "$name" "$wall" \
        "$(awk "BEGIN{print $user + $sys}")" "$(awk "BEGIN{print ($user + $sys) / ($wall > 0 ? $wall : 1)}")"
    echo "$wall"  >"$tmp/last"
}
ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $($ref --version 2>/dev/null || echo 'no asciinema')"
echo "generating a ${mb} MB recording..."
python3 "$root/bench/gen.py" "$tmp/big.cast" "$mb" --plain
size=$(du -m "$tmp/big.cast" | cut -f1)

echo
echo "1. default transcript, $size MB recording"
if "$ref" --version >/dev/null 2>&1; then
    best "asciinema convert -f txt" "$ref convert -f txt --overwrite $tmp/big.cast $tmp/ref.txt"
    base=$(cat "$tmp/last")
    best "cast-to-txt" "$CAST_BIN/cast-to-txt $tmp/big.cast > $tmp/ours.txt"
    ours=$(cat "$tmp/last")
    if cmp -s "$tmp/ref.txt" "$tmp/ours.txt"; then same="identical output"; else same="OUTPUT DIFFERS"; fi
    echo "  => cast-to-txt is $(ratio "$base" "$ours")x faster than asciinema ($same, $(wc -l <"$tmp/ours.txt") lines)"
else
    echo "  (asciinema not installed: no baseline)"
    best "cast-to-txt" "$CAST_BIN/cast-to-txt $tmp/big.cast > $tmp/ours.txt"
fi
rm -f "$tmp/ref.txt"

echo
echo "2. --raw, same recording"
best "cat FILE > OUT" "cat $tmp/big.cast > $tmp/cat.out"
cat_t=$(cat "$tmp/last")
best "cast-idle -l 1000 (reads, writes events)" "$CAST_BIN/cast-idle -l 1000 $tmp/big.cast > $tmp/idle.out"
idle_t=$(cat "$tmp/last")
best "cast-to-txt --raw" "$CAST_BIN/cast-to-txt --raw $tmp/big.cast > $tmp/raw.out"
raw_t=$(cat "$tmp/last")
echo "  => --raw takes $(ratio "$raw_t" "$cat_t")x the time of cat, $(ratio "$raw_t" "$idle_t")x that of cast-idle"
rm -f "$tmp"/*.out "$tmp/ours.txt"

echo
if [[ -d $corpus ]]; then
    # The corpus is small (most files are a few KB): eight copies of it under other names
    # make a batch long enough to time.
    mkdir -p "$tmp/batch"
    for k in 1 2 3 4 5 6 7 8; do
        for f in "$corpus"/*.cast "$corpus"/*.json; do
            [[ -f $f ]] && ln -s "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$tmp/batch/$k-$(basename "$f")"
        done
    done
    n=$(find "$tmp/batch" -type l | wc -l)
    echo "3. batch: $corpus eight times over ($n recordings; the broken ones fail, as they should)"
    for j in 1 2; do
        best "cast-to-txt -j $j -d OUT" "$CAST_BIN/cast-to-txt -q -j $j -d $tmp/out$j $tmp/batch/*"
        eval "t$j=$(cat "$tmp/last")"
    done
    echo "  => -j 2 is $(ratio "$t1" "$t2")x faster than -j 1"
else
    echo "3. batch: no corpus at $corpus"
fi
