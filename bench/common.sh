# Sourced by the bench scripts: the setup and the measurements they share.
#
# After sourcing, the working directory is the repository's top, and these are set:
#   repeat  how many times each command runs (REPEAT, default 3); the best wall time counts
#   out     bench/out, where generated files and results go (gitignored)
#   BIN     the castkit binaries (built here in release mode unless BIN is given)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repeat=${REPEAT:-3}
out=bench/out
mkdir -p "$out"
command -v /usr/bin/time >/dev/null || { echo "needs GNU time: apt-get install time" >&2; exit 2; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=${CARGO_TARGET_DIR:-target}/release
fi

# bench_file SIZE_MB [GEN.PY OPTIONS...]: the path of a generated recording, made once and kept.
bench_file() {
  local mb=$1; shift
  local tag; tag=$(echo "$*" | tr -c 'a-z0-9\n' '-' | tr -s '-')
  local f="$out/big-${mb}mb${tag:+-$tag}.cast"
  [ -s "$f" ] || { echo "generating $f ..." >&2; python3 bench/gen.py "$f" "$mb" "$@"; }
  cat "$f" > /dev/null # into the page cache
  echo "$f"
}

# measure NAME CMD...: runs CMD $repeat times with its output in $out/result (a file on the
# same disk, as `cat FILE > OUT` writes) and prints "NAME|best wall s|CPU s of that run|peak
# RSS KiB". Each run starts after a sync, with no earlier output still being written back to
# disk (the same for every command). CPU time is user+sys: steadier than wall time on a busy machine, and above the
# wall time when more than one core worked. The exit status of CMD is not checked.
measure() {
  local name=$1; shift
  local best="" cpu="" rss=0 wall user sys kib
  for _ in $(seq "$repeat"); do
    # The previous run's output still being written back to disk would slow this one.
    rm -f "$out/result"
    sync
    /usr/bin/time -q -f "%e %U %S %M" -o "$out/time.txt" "$@" > "$out/result" 2> "$out/stderr" || true
    read -r wall user sys kib < "$out/time.txt"
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then
      best=$wall
      cpu=$(awk "BEGIN{print $user + $sys}")
    fi
    [ "$kib" -gt "$rss" ] && rss=$kib
  done
  echo "$name|$best|$cpu|$rss"
}

# table BYTES BASE_ROW ROWS...: a table of measure rows, with throughput over BYTES of input
# and each row's wall and CPU time as a multiple of BASE_ROW's.
table() {
  local bytes=$1 base=$2; shift 2
  local bwall bcpu
  IFS='|' read -r _ bwall bcpu _ <<< "$base"
  printf '%-44s %7s %7s %7s %7s %7s %9s\n' "command ($((bytes / 1048576)) MiB)" "wall s" "MiB/s" "x base" "cpu s" "x base" "peak RSS"
  for r in "$base" "$@"; do
    IFS='|' read -r name wall cpu rss <<< "$r"
    awk -v n="$name" -v w="$wall" -v c="$cpu" -v b="$bwall" -v bc="$bcpu" -v by="$bytes" -v k="$rss" 'BEGIN{
      w2 = (w > 0 ? w : 0.001); c2 = (c > 0 ? c : 0.001);
      printf "%-44s %7.2f %7.0f %6.2fx %7.2f %6.2fx %5.1f MiB\n", n, w, by / 1048576 / w2,
        w2 / (b > 0 ? b : 0.001), c, c2 / (bc > 0 ? bc : 0.001), k / 1024 }'
  done
}

# load: the machine's load average, for the record beside the figures.
load() { cut -d' ' -f1-3 /proc/loadavg; }
