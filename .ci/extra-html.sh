#!/usr/bin/env bash
# cast-to-html in a real browser: installs Debian's chromium when missing and asciinema-player
# (npm) into target/player, writes a page with the player inlined (--player-dir), opens it
# headless from a file URL and checks that the player rendered the recording's text.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null; then
  echo "installing chromium ..."
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
command -v node >/dev/null && command -v npm >/dev/null || { echo "node/npm missing: skipping the browser check"; exit 0; }
player=${CARGO_TARGET_DIR:-target}/player
if [ ! -d "$player/node_modules/asciinema-player/dist" ]; then
  mkdir -p "$player"
  npm install --silent --no-audit --no-fund --prefix "$player" asciinema-player@3.17.0 >/dev/null
fi
bin=${CARGO_TARGET_DIR:-target}/debug
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The pinned CDN's integrity hashes must be those of the npm package's files.
dist="$player/node_modules/asciinema-player/dist/bundle"
for f in asciinema-player.min.js asciinema-player.css; do
  sri="sha384-$(openssl dgst -sha384 -binary "$dist/$f" | base64 -w0)"
  "$bin/cast-to-html" examples/demo.cast | grep -q "$sri" || { echo "FAIL: integrity hash of $f is not $sri"; exit 1; }
done
# The poster (the screen at the end) is drawn as soon as the player has loaded.
"$bin/cast-to-html" --player-dir "$player/node_modules/asciinema-player" --poster 1:00 \
  -o "$work/demo.html" examples/demo.cast
for try in 1 2 3; do
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$(mktemp -d)" \
    --virtual-time-budget=5000 --dump-dom "file://$work/demo.html" > "$work/dom.html" 2>/dev/null || true
  grep -q "ap-line.*62 passed" "$work/dom.html" && break
done
passed=0 failed=0
for want in "make test" "test result: ok." "62 passed; 0 failed"; do
  if grep -q "ap-line.*$want" "$work/dom.html"; then
    passed=$((passed + 1))
  else
    echo "FAIL: the player did not show '$want'"
    failed=$((failed + 1))
  fi
done
# One page with many of the player's options: each must show in the rendered player.
"$bin/cast-to-html" --player-dir "$player/node_modules/asciinema-player" --poster 1:00 \
  --controls always --cursor-mode hidden --cols 60 --rows 10 --markers 2:chapter-two \
  --markers 0:30:half --keystroke-overlay --terminal-font-family 'DejaVu Sans Mono' \
  --bold-is-bright --adaptive-palette --preload -o "$work/options.html" examples/demo.cast
for try in 1 2 3; do
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$(mktemp -d)" \
    --virtual-time-budget=5000 --dump-dom "file://$work/options.html" > "$work/options-dom.html" 2>/dev/null || true
  grep -q 'ap-tooltip">00:09 - half<' "$work/options-dom.html" && break
done
# controls always: the bar is shown (ap-hud) without the mouse; --cols/--rows size the
# terminal; --markers adds chapters beside the recording's own (build, at 0:03.4), the one at
# 0:30 moved by the header's idle limit as the player moves events; the font family is set.
for want in 'class="ap-wrapper ap-hud"' 'term-cols: 60;' 'term-rows: 10;' \
  'ap-tooltip">00:02 - chapter-two<' 'ap-tooltip">00:03 - build<' 'ap-tooltip">00:09 - half<' \
  '--term-font-family: DejaVu Sans Mono;'; do
  if grep -qF -- "$want" "$work/options-dom.html"; then
    passed=$((passed + 1))
  else
    echo "FAIL: the player page with options lacks '$want'"
    failed=$((failed + 1))
  fi
done
# The integration test that renders in the browser runs now that both are here.
cargo test --quiet --test tests a_real_browser_plays_the_page 2>&1 | tail -3
echo "html: $passed passed, $failed failed"
[ "$failed" = 0 ]
