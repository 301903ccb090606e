#!/usr/bin/env bash
# What cast-import writes loads in the players: recordings imported from the ttyrec and
# script(1) samples in examples/, from script sessions recorded here (classic and --log-io),
# and from a long generated ttyrec file, checked with asciinema-player's own parser
# (tests/player/check.mjs) and, when installed, asciinema 3.2's `convert`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bin=target/debug
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bin/cast-import" -q examples/hello.ttyrec -o "$out/1.cast"
"$bin/cast-import" -q examples/script.tm -o "$out/2.cast"
"$bin/cast-import" -q --format v3 --timing examples/script.tm examples/script.log -o "$out/3.cast"
if command -v script >/dev/null; then
  (cd "$out" && script -q -T c.tm -c 'printf "caf\303\251 \033[1mbold\033[0m\n"; sleep 0.1; ls /' c.ts < /dev/null > /dev/null)
  (cd "$out" && echo typed | script -q --log-io io.log --log-timing io.tm -c 'read x; echo "got $x"' > /dev/null)
  "$bin/cast-import" -q --timing "$out/c.tm" "$out/c.ts" -o "$out/4.cast"
  "$bin/cast-import" -q "$out/io.tm" --format v3 -o "$out/5.cast"
fi
python3 - "$out/long.ttyrec" <<'PY'
import random, struct, sys
rng = random.Random(7)
t = 1_700_000_000_000_000
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<III", t // 10**6, t % 10**6, 11) + b"\x1b[8;40;120t"[:11])
    for k in range(20000):
        t += rng.choice([1000, 50_000, 120_000, 2_000_000])
        data = rng.choice([b"x", "é中".encode()[: rng.randint(1, 5)], b"\x1b[1mline %d\x1b[0m\r\n" % k])
        f.write(struct.pack("<III", t // 10**6, t % 10**6, len(data)) + data)
PY
"$bin/cast-import" -q "$out/long.ttyrec" -o "$out/6.cast"
n=$(ls "$out"/*.cast | wc -l)
if command -v asciinema >/dev/null && asciinema --version | grep -q '^asciinema 3\.'; then
  for f in "$out"/*.cast; do
    asciinema convert -f asciicast-v2 "$f" "$f.v2" > /dev/null
    [ "$(grep -c '^\[' "$f")" = "$(grep -c '^\[' "$f.v2")" ] || { echo "FAIL: asciinema dropped events of $f"; exit 1; }
  done
  echo "asciinema: $n imported recordings load"
else
  echo "asciinema 3 not installed: that check skipped"
fi
if command -v node >/dev/null && command -v npm >/dev/null; then
  player=target/player
  if [ ! -d "$player/node_modules/asciinema-player/dist" ]; then
    mkdir -p "$player"
    npm install --silent --no-audit --no-fund --prefix "$player" asciinema-player@3.17.0 >/dev/null
  fi
  node tests/player/check.mjs "$player/node_modules/asciinema-player/dist" "$out"/*.cast
else
  echo "node/npm missing: player check skipped"
fi
