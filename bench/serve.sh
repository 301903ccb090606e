#!/usr/bin/env bash
# cast-serve under load, on loopback only, bounded in requests and time:
#
#   1. requests per second and latency for /recordings/ID/cast at 50 keep-alive clients, for
#      a small recording (examples/demo.cast) and a generated 1 MB one;
#   2. 400 clients at once: every answer must be whole (status 200, every byte);
#   3. live-follow latency: an event appended to a file, to its arrival at an SSE client;
#   4. the server's peak memory (VmHWM) over all of it.
#
#   bench/serve.sh                    targets: every answer whole, peak < 64 MiB, live < 100 ms
#
# The load generator is bench/serve_load.rs (`cargo build --release --example serve-load`);
# it refuses any address that is not loopback. Set CAST_BIN to a directory holding a release
# cast-serve and serve-load to skip the build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [[ -z ${CAST_BIN:-} ]]; then
  cargo build --release --quiet --bin cast-serve --example serve-load
  CAST_BIN=${CARGO_TARGET_DIR:-$root/target}/release
  load=$CAST_BIN/examples/serve-load
else
  load=$CAST_BIN/serve-load
fi
tmp=$(mktemp -d)
pid=
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/casts"
cp examples/demo.cast "$tmp/casts/demo.cast"
python3 bench/gen.py "$tmp/casts/big.cast" 1 >/dev/null
printf '{"version": 3, "term": {"cols": 80, "rows": 24}}\n[0.1, "o", "start\\r\\n"]\n' > "$tmp/casts/live.cast"
small=$(stat -c %s "$tmp/casts/demo.cast")
big=$(stat -c %s "$tmp/casts/big.cast")

"$CAST_BIN/cast-serve" "$tmp/casts" --listen 127.0.0.1:0 -q 2> "$tmp/log" &
pid=$!
for _ in $(seq 100); do
  grep -q ' on http://' "$tmp/log" && break
  sleep 0.05
done
addr=$(grep -o 'on http://127.0.0.1:[0-9]*' "$tmp/log" | head -1 | sed 's|on http://||')
[[ -n $addr ]] || { echo "cast-serve did not start"; cat "$tmp/log"; exit 1; }
echo "cast-serve $addr (pid $pid); demo.cast $small bytes, big.cast $big bytes"

fail=0
run() {
  local line; line=$("$load" "$@")
  echo "  $line"
  case "$line" in
    *" errors=0 "*) ;;
    *) echo "  FAIL: not every answer was whole"; fail=1 ;;
  esac
}
echo "GET /recordings/demo/cast, 50 clients (20,000 requests or 20 s):"
run get "$addr" /recordings/demo/cast 50 20000 20 "$small"
echo "GET /recordings/big/cast (1 MB), 50 clients (2,000 requests or 20 s):"
run get "$addr" /recordings/big/cast 50 2000 20 "$big"
echo "GET /recordings/demo/cast, 400 clients at once (8,000 requests or 30 s):"
run get "$addr" /recordings/demo/cast 400 8000 30 "$small"
echo "live follow (append -> event at the SSE client), 40 samples:"
live=$("$load" live "$addr" /recordings/live/live "$tmp/casts/live.cast" 40)
echo "  $live"
median=$(echo "$live" | sed 's/.*median=\([0-9.]*\)ms.*/\1/')
awk -v m="$median" 'BEGIN { exit !(m < 100) }' || { echo "  FAIL: median live latency ${median} ms"; fail=1; }
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
echo "peak memory (VmHWM): $((hwm / 1024)) MiB"
[[ $hwm -lt $((64 * 1024)) ]] || { echo "  FAIL: peak memory over 64 MiB"; fail=1; }
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
echo "SIGTERM: exit status $status"
[[ $status = 0 ]] || fail=1
exit "$fail"
