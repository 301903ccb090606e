#!/usr/bin/env bash
# Checks that asciinema 3.2 itself (`asciinema convert`) loads what every castkit tool writes,
# and that it sees the same number of events as the file holds. Installs asciinema with cargo
# when it is missing (a few minutes of compiling; the result stays in ~/.cargo/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
if ! asciinema --version 2>/dev/null | grep -q '^asciinema 3\.'; then
  echo "installing asciinema 3.2 (cargo install) ..."
  cargo install --quiet --locked asciinema --version '~3.2' >/dev/null 2>&1 || {
    echo "asciinema could not be installed: skipping this check"; exit 0; }
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bin=target/debug
inputs=(examples/demo.cast)
if [ -d ../shared/corpus ]; then
  for f in ../shared/corpus/*.cast ../shared/corpus/*.json; do inputs+=("$f"); done
fi
TOOLS=("cast-idle|-l 1" "cast-speed|-f 2 --format v3" "cast-idle|-l 1 --format v2")
[ -f .ci/player-tools ] && while IFS= read -r line; do
  [ -n "$line" ] && [ "${line:0:1}" != "#" ] && TOOLS+=("$line")
done < .ci/player-tools
passed=0 failed=0 n=0
for f in "${inputs[@]}"; do
  for spec in "${TOOLS[@]}"; do
    IFS='|' read -r tool args <<< "$spec"
    n=$((n + 1))
    # shellcheck disable=SC2086
    "$bin/$tool" $args "$f" > "$out/$n.cast" 2>/dev/null || continue # rejected inputs: the sweep's business
    if ! asciinema convert -f asciicast-v2 "$out/$n.cast" "$out/$n.v2" > /dev/null 2> "$out/err"; then
      echo "FAIL $tool $args $f: asciinema: $(head -c 300 "$out/err")"
      failed=$((failed + 1)); continue
    fi
    # asciinema keeps every event it understands; compare the event lines it wrote with ours.
    ours=$(grep -c '^\[' "$out/$n.cast" || true)
    theirs=$(grep -c '^\[' "$out/$n.v2" || true)
    if [ "$ours" != "$theirs" ]; then
      echo "FAIL $tool $args $f: asciinema kept $theirs of $ours events"
      failed=$((failed + 1)); continue
    fi
    passed=$((passed + 1))
  done
done
echo "asciinema: $passed passed, $failed failed"
[ "$failed" = 0 ]
