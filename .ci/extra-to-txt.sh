#!/usr/bin/env bash
# cast-to-txt against asciinema 3.2's `convert -f txt`, line for line, on recordings we make
# ourselves (and a count over ../shared/corpus). Needs asciinema 3: .ci/extra-asciinema.sh
# installs it; without it this check is skipped (exit 77 from the script).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
args=()
[ -d ../shared/corpus ] && args+=(--corpus ../shared/corpus)
bash tests/compare_asciinema.sh "${args[@]}" target/debug/cast-to-txt
code=$?
if [ "$code" = 77 ]; then echo "asciinema 3 not installed: comparison skipped"; exit 0; fi
exit "$code"
