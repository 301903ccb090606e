#!/usr/bin/env bash
# cast-grep benchmark (issue 6). Measures, in one run:
#   1. a fixed-string search over one large generated recording, against `grep -c` over the
#      same raw file (target: within 3x) and `asciinema convert -f txt FILE - | grep -c`
#      (target: at least 5x faster);
#   2. many recordings with RAYON_NUM_THREADS=1 and 2 (target: both cores busy).
#
# usage: bench/grep.sh            (SIZE_MB=300 FILES=48 FILE_MB=5 RUNS=5 to change)
# The generated files are kept in $CARGO_TARGET_DIR/bench (or target/bench) for later runs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
target=${CARGO_TARGET_DIR:-$root/target}
work=$target/bench
size=${SIZE_MB:-300}
files=${FILES:-48}
file_mb=${FILE_MB:-5}
runs=${RUNS:-5}
pattern=${PATTERN:-error}
asciinema=${ASCIINEMA:-$(command -v asciinema || echo "$HOME/.cargo/bin/asciinema")}
bin=$target/release/cast-grep

(cd "$root" && cargo build --release --quiet --bin cast-grep)
mkdir -p "$work" "$work/many"
big=$work/big-$size.cast
[ -s "$big" ] || python3 "$here/gen.py" "$big" "$size" --seed 1
for k in $(seq 1 "$files"); do
    f=$work/many/r$k-$file_mb.cast
    [ -s "$f" ] || python3 "$here/gen.py" "$f" "$file_mb" --seed "$((k + 100))"
done
many=$(ls "$work"/many/r*-"$file_mb".cast | head -n "$files")

# best WALL USER of $runs runs of a shell command
best() {
    local b="" line
    for _ in $(seq 1 "$runs"); do
        # Not /dev/null: GNU grep notices it and stops at the first match.
        /usr/bin/time -f "%e %U" -o "$work/time.txt" sh -c "$1" > "$work/out.txt"
        line=$(cat "$work/time.txt")
        if [ -z "$b" ] || awk -v a="${line% *}" -v b="${b% *}" 'BEGIN { exit !(a < b) }'; then
            b=$line
        fi
    done
    echo "$b"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

cat "$big" $many > /dev/null # into the page cache
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "big file: $(du -m "$big" | cut -f1) MB, $(wc -l < "$big") lines; fixed string '$pattern'"
echo "  matching lines: grep -c (JSON lines) $(grep -c -- "$pattern" "$big"), cast-grep -c (screen lines) $("$bin" -c -F -- "$pattern" "$big")"

g=$(best "grep -c -- '$pattern' '$big'")
c=$(best "'$bin' -c -F -- '$pattern' '$big'")
c1=$(best "cat '$big' | '$bin' -c -F -- '$pattern'")
echo "  grep -c FILE                        ${g% *} s wall  ${g#* } s user"
echo "  cast-grep -c -F FILE                ${c% *} s wall  ${c#* } s user  -> $(ratio "${c% *}" "${g% *}")x grep's time (target <= 3x)"
echo "  cat FILE | cast-grep -c -F (1 thread) ${c1% *} s wall  ${c1#* } s user  -> $(ratio "${c1% *}" "${g% *}")x"
if [ -x "$asciinema" ]; then
    a=$(runs=1 best "'$asciinema' convert -f txt '$big' - | grep -c -- '$pattern'")
    echo "  asciinema convert -f txt | grep -c  ${a% *} s wall  ${a#* } s user  -> cast-grep $(ratio "${a% *}" "${c% *}")x faster (target >= 5x)"
else
    echo "  asciinema not found (set ASCIINEMA=...): comparison skipped"
fi

echo "many files: $files x $file_mb MB"
m1=$(best "RAYON_NUM_THREADS=1 '$bin' -c -F -- '$pattern' $(echo $many)")
m2=$(best "RAYON_NUM_THREADS=2 '$bin' -c -F -- '$pattern' $(echo $many)")
echo "  RAYON_NUM_THREADS=1                 ${m1% *} s wall  ${m1#* } s user"
echo "  RAYON_NUM_THREADS=2                 ${m2% *} s wall  ${m2#* } s user  -> speed-up $(ratio "${m1% *}" "${m2% *}")x"
