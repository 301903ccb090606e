# Sourced by the bench scripts: the setup and the measurements they share.
#
# After sourcing, the working directory is the repository's top, and these are set:
#   repeat  how many times each command runs (REPEAT, default 5); the median counts
#   out     bench/out, where generated files and results go (gitignored)
#   BIN     the castkit binaries (built here in release mode unless BIN is given)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repeat=${REPEAT:-5}
out=bench/out
mkdir -p "$out"
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
# same disk, as `cat FILE > OUT` writes) and prints "NAME|median wall s|CPU s|peak RSS KiB":
# the median of the wall times, the median of the CPU times (user+sys: steadier than wall
# time on a busy machine, and above the wall time when more than one core worked) and the
# largest peak RSS. Times come from bench/timeit.py, in microseconds. Each run starts after a
# sync, with no earlier output still being written back to disk (the same for every command).
# The exit status of CMD is not checked.
measure() {
  local name=$1; shift
  local walls=() cpus=() rss=0 wall user sys kib
  for _ in $(seq "$repeat"); do
    # The previous run's output still being written back to disk would slow this one.
    rm -f "$out/result"
    sync
    python3 bench/timeit.py "$out/time.txt" "$@" > "$out/result" 2> "$out/stderr" || true
    read -r wall user sys kib < "$out/time.txt"
    walls+=("$wall")
    cpus+=("$(awk "BEGIN{print $user + $sys}")")
    [ "$kib" -gt "$rss" ] && rss=$kib
  done
  echo "$name|$(median "${walls[@]}")|$(median "${cpus[@]}")|$rss"
}

command -v /usr/bin/time >/dev/null || { echo "needs GNU time: apt-get install time" >&2; exit 2; }

# median X...: the middle value (the lower middle of an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

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
      printf "%-44s %7.3f %7.0f %6.2fx %7.3f %6.2fx %5.1f MiB\n", n, w, by / 1048576 / w2,
        w2 / (b > 0 ? b : 0.001), c, c2 / (bc > 0 ? bc : 0.001), k / 1024 }'
  done
}

# load: the machine's load average, for the record beside the figures.
load() { cut -d' ' -f1-3 /proc/loadavg; }
