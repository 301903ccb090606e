#!/usr/bin/env bash
# A bounded fuzzing run of every target (libFuzzer via cargo-fuzz).
#
#   fuzz/run.sh [SECONDS_PER_TARGET]     (default 120)
#
# Seeds come from examples/ and, when present, ../shared/corpus. Crashes are written to
# fuzz/artifacts/<target>/; turn each into a regression test before fixing it.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-120}
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
# cargo-fuzz needs nightly features; use a nightly toolchain when there is one.
if rustup toolchain list 2>/dev/null | grep -q nightly; then tc=(+nightly); else tc=(); export RUSTC_BOOTSTRAP=1; fi
for target in read filters; do
  seeds="corpus/$target"
  mkdir -p "$seeds"
  cp ../examples/*.cast "$seeds/" 2>/dev/null || true
  if [ -d ../../shared/corpus ]; then
    find ../../shared/corpus -name '*.cast' -size -64k -exec cp {} "$seeds/" \;
  fi
  echo "== $target: ${secs}s"
  cargo "${tc[@]}" fuzz run "$target" -- -max_total_time="$secs" -max_len=8192 -rss_limit_mb=2048 2>&1 | grep -E "^#[0-9]+ *DONE|ERROR|panicked|SUMMARY|Done" || true
done
