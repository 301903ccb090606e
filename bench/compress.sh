#!/usr/bin/env bash
# Reading compressed recordings: each tool on a .cast.zst and a .cast.gz copy of one large
# generated recording, beside the same tool on the plain file in the same run (the ratio the
# issue asks for: zstd within 1.3x of plain), with `zstd -dc`/`gzip -dc` alone for scale.
#
#   bench/compress.sh [SIZE_MB]     (default 200)
#
# Peak memory should stay flat: a few MiB of buffers whatever the size.
source "$(dirname "$0")/common.sh"
big=$(bench_file "${1:-200}")
bytes=$(stat -L -c %s "$big")
command -v zstd >/dev/null || { echo "needs zstd (apt-get install zstd)" >&2; exit 2; }
[ -s "$big.zst" ] || zstd -q -3 -f "$big" -o "$big.zst"
[ -s "$big.gz" ] || gzip -6 -c "$big" > "$big.gz"
cat "$big.zst" "$big.gz" > /dev/null
echo "machine: $(nproc) cores, load average $(load)"
echo "sizes: plain $((bytes / 1048576)) MiB, zstd -3 $(( $(stat -c %s "$big.zst") / 1048576 )) MiB, gzip -6 $(( $(stat -c %s "$big.gz") / 1048576 )) MiB"
for tool in "cast-info" "cast-idle -l 1" "cast-grep -c -F error"; do
  read -r -a cmd <<< "$tool"
  echo
  table "$bytes" \
    "$(measure "$tool FILE" "$BIN/${cmd[0]}" "${cmd[@]:1}" "$big")" \
    "$(measure "$tool FILE.zst" "$BIN/${cmd[0]}" "${cmd[@]:1}" "$big.zst")" \
    "$(measure "$tool FILE.gz" "$BIN/${cmd[0]}" "${cmd[@]:1}" "$big.gz")"
done
echo
table "$bytes" \
  "$(measure "cat FILE > OUT" cat "$big")" \
  "$(measure "zstd -dc FILE.zst > OUT" zstd -dc "$big.zst")" \
  "$(measure "gzip -dc FILE.gz > OUT" gzip -dc "$big.gz")" \
  "$(measure "cast-idle -l 1 -o OUT.cast.zst FILE" "$BIN/cast-idle" -l 1 -o "$out/w.cast.zst" "$big")" \
  "$(measure "cast-idle -l 1 -o OUT.cast.gz FILE" "$BIN/cast-idle" -l 1 -o "$out/w.cast.gz" "$big")"
rm -f "$out/result" "$out/w.cast.zst" "$out/w.cast.gz"
