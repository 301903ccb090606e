#!/usr/bin/env bash
# cast-serve in a real browser, and over the corpus: installs asciinema-player (npm) into
# target/player when missing (as extra-html.sh does), then runs the integration tests that
# need it: a served player page renders a recording offline, and a page opened on a recording
# cast-rec is still writing shows new text within 2 s. The corpus test (every recording in
# ../shared/corpus listed, summed up and transcribed over HTTP) runs with them. Everything
# listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null || { echo "chromium missing: skipping the browser checks"; exit 0; }
command -v node >/dev/null && command -v npm >/dev/null || { echo "node/npm missing: skipping the browser checks"; exit 0; }
player=${CARGO_TARGET_DIR:-target}/player
if [ ! -d "$player/node_modules/asciinema-player/dist" ]; then
  mkdir -p "$player"
  npm install --silent --no-audit --no-fund --prefix "$player" asciinema-player@3.17.0 >/dev/null
fi
out=$(cargo test --quiet --locked --test tests -- serve::a_real_browser serve::the_corpus_is_served 2>&1) || {
  echo "$out" | tail -40
  exit 1
}
echo "$out" | grep -E "skipped|test result" || true
echo "$out" | grep -q "test result: ok. 3 passed" || { echo "FAIL: expected 3 serve tests to run"; exit 1; }
echo "serve: browser and corpus checks passed"
