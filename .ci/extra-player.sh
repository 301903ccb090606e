#!/usr/bin/env bash
# Checks with asciinema-player's own parser (npm package, run under node) that what every
# castkit tool writes loads in the player with the same events and duration the file holds.
# Inputs: our sample recording, and ../shared/corpus when present.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v node >/dev/null && command -v npm >/dev/null || { echo "node/npm missing: skipping player check"; exit 0; }
player=target/player
if [ ! -d "$player/node_modules/asciinema-player/dist" ]; then
  mkdir -p "$player"
  npm install --silent --no-audit --no-fund --prefix "$player" asciinema-player@3.17.0 >/dev/null
fi
dist="$player/node_modules/asciinema-player/dist"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bin=target/debug
inputs=(examples/demo.cast)
if [ -d ../shared/corpus ]; then
  for f in ../shared/corpus/*.cast ../shared/corpus/*.json; do inputs+=("$f"); done
fi
# tool|arguments: every tool that writes a recording
TOOLS=("cast-idle|-l 1" "cast-speed|-f 2" "cast-idle|-l 5 --format v3" "cast-speed|-f 0.5 --format v2")
[ -f .ci/player-tools ] && while IFS= read -r line; do
  [ -n "$line" ] && [ "${line:0:1}" != "#" ] && TOOLS+=("$line")
done < .ci/player-tools
n=0
for f in "${inputs[@]}"; do
  for spec in "${TOOLS[@]}"; do
    IFS='|' read -r tool args <<< "$spec"
    n=$((n + 1))
    # shellcheck disable=SC2086
    "$bin/$tool" $args "$f" > "$out/$n.cast" 2>/dev/null || rm -f "$out/$n.cast" # rejected inputs are the sweep's business
  done
done
node tests/player/check.mjs "$dist" "$out"/*.cast
