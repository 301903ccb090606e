#!/usr/bin/env bash
# cast-to-svg in a real browser: the animated and the still SVG of a recording, opened headless
# from a file URL, must show text (the test fails here, rather than skipping, without
# chromium). The fonts cast-to-gif draws with are installed by .ci/run before the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null; then
  echo "installing chromium ..."
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
CASTKIT_NEED_CHROMIUM=1 cargo test --locked --quiet --test tests to_svg::chromium_renders_text
echo "render: cast-to-svg output renders in headless chromium"
