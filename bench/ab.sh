#!/usr/bin/env bash
# Before/after timing of two builds of castkit on the benchmark file, beside `cat`, in one run.
#
#   bench/ab.sh OLD_BIN_DIR NEW_BIN_DIR [SIZE_MB]
#
# The bin dirs (absolute paths) hold cast-idle and cast-speed: copy target/release of the old
# build aside first. Runs are interleaved (cat, old, new, cat, old, new, ...) so that load from
# other work on the machine falls on all of them alike; the best of REPEAT (default 5) counts.
# The load average is printed: on a shared machine, read CPU time rather than wall time.
old=${1:?usage: ab.sh OLD_BIN_DIR NEW_BIN_DIR [SIZE_MB]} new=${2:?} size=${3:-300}
BIN=$new
source "$(dirname "$0")/common.sh"
repeat=${REPEAT:-5}
big=$(bench_file "$size")

declare -A wall cpu
# run KEY CMD...: keeps the best wall and CPU (user+sys) seconds of CMD > $out/result.
run() {
  local key=$1; shift
  /usr/bin/time -f "%e %U %S" -o "$out/time.txt" "$@" > "$out/result"
  read -r w u s < "$out/time.txt"
  local c; c=$(awk "BEGIN{print $u + $s}")
  if [ -z "${wall[$key]:-}" ] || awk "BEGIN{exit !($w < ${wall[$key]})}"; then wall[$key]=$w; fi
  if [ -z "${cpu[$key]:-}" ] || awk "BEGIN{exit !($c < ${cpu[$key]})}"; then cpu[$key]=$c; fi
}

tools=("cast-idle -l 1" "cast-speed -f 2" "cast-idle -l 1000000 --format v3")
echo "machine: $(nproc) cores, load average before: $(load)"
for _ in $(seq "$repeat"); do
  run cat cat "$big"
  for t in "${tools[@]}"; do
    read -r prog args <<< "$t"
    # shellcheck disable=SC2086
    run "old $t" "$old/$prog" $args "$big"
    # shellcheck disable=SC2086
    run "new $t" "$new/$prog" $args "$big"
  done
done
echo "load average after: $(load)"
printf '%-40s %8s %8s %8s %8s\n' "command ($(($(stat -L -c %s "$big") / 1048576)) MiB)" "wall s" "vs cat" "cpu s" "vs cat"
for key in cat "${tools[@]/#/old }" "${tools[@]/#/new }"; do
  awk -v k="$key" -v w="${wall[$key]}" -v c="${cpu[$key]}" -v bw="${wall[cat]}" -v bc="${cpu[cat]}" \
    'BEGIN{printf "%-40s %8.2f %7.2fx %8.2f %7.2fx\n", k, w, w / bw, c, c / bc}'
done
rm -f "$out/result"
