#!/usr/bin/env bash
# cast-grep on what a viewer saw (issue 15.2). Measures, in one run:
#   1. rows found out of rows shown, per recording of a full-screen program (vim, less, top
#      and a bash session with resizes, made here with cast-rec), judged by pyte
#      (tests/pyte/grep_rows.py), for OLD_BIN (default: none) and this build;
#   2. throughput on full-screen recordings: those recordings joined many times into one
#      file of about SCREEN_MB (default 100) MiB (target: at least 100 MiB/s of input);
#   3. plain logs (bench/gen.py --plain), where no emulator is needed, against OLD_BIN
#      (target: no slower), and gen.py's default mix (logs with full-screen redraws).
#
#   bench/grep-screen.sh [OLD_BIN_DIR]
# Needs vim, less, top, python3 with pyte, GNU time.
source "$(dirname "$0")/common.sh"
old=${1:-}
work=$out/screen
mkdir -p "$work"
export TERM=xterm-256color
echo "machine: $(nproc) cores, load average $(load)"

# The recordings: keys fed with pauses, as tests/grep.rs does.
rec() { # NAME COLS ROWS COMMAND KEYS
  [ -s "$work/$1" ] && return
  (cd "$work" && (eval "$5") | "$BIN/cast-rec" --headless --cols "$2" --rows "$3" --overwrite -q -c "$4" "$1" > /dev/null)
}
seq 1 200 | sed 's/^/line number /' > "$work/file.txt"
rec vim.cast 80 24 "vim -u NONE -i NONE -n file.txt" \
  "sleep 1; printf 50G; sleep 0.4; printf ggjjjjj; sleep 0.3; printf '/number 120\r'; sleep 0.4;
   printf '\005\005\004'; sleep 0.3; printf 'ohello there'; sleep 0.3; printf '\033dd'; sleep 0.3;
   printf ':q!\r'; sleep 0.5"
rec less.cast 80 24 "less file.txt" \
  "sleep 0.7; printf ' '; sleep 0.3; printf jjj; sleep 0.3; printf kk; sleep 0.3;
   printf '/number 150\r'; sleep 0.4; printf G; sleep 0.3; printf g; sleep 0.3; printf q"
rec top.cast 100 30 "top -d 0.5 -n 4" "sleep 3"
rec bash.cast 80 24 "bash --norc --noprofile -i" \
  "sleep 0.5; printf 'seq 1 40\r'; sleep 0.4; printf 'printf \"\\\\033[8;20;60t\"; ls /\r'; sleep 0.4;
   printf 'echo resized; tput cup 3 5; echo painted\r'; sleep 0.4; printf 'exit\r'"

echo "rows found (pyte's rows shown after each event; found at a time they were on screen):"
printf '  %-10s %14s %14s\n' recording "${old:+old}" new
for f in vim less top bash; do
  o=""
  [ -n "$old" ] && o=$(python3 tests/pyte/grep_rows.py "$old/cast-grep" "$work/$f.cast" 2>&1 | head -n 1 | sed 's/found //; s/ rows//' || true) 
  n=$(python3 tests/pyte/grep_rows.py "$BIN/cast-grep" "$work/$f.cast" 2>&1 | head -n 1 | sed 's/found //; s/ rows//' || true) 
  printf '  %-10s %14s %14s\n' "$f.cast" "$o" "$n"
done

# One file of full-screen recordings joined end to end.
screen_mb=${SCREEN_MB:-100}
big=$work/screen-${screen_mb}mb.cast
if [ ! -s "$big" ]; then
  unit=$work/unit.cast
  "$BIN/cast-cat" "$work"/{vim,less,top}.cast > "$unit"
  n=$(( screen_mb * 1048576 / $(stat -c %s "$unit") ))
  k=1; cp "$unit" "$work/join.cast"
  while [ $((k * 2)) -le "$n" ]; do
    "$BIN/cast-cat" "$work/join.cast" "$work/join.cast" > "$work/join2.cast"
    mv "$work/join2.cast" "$work/join.cast"; k=$((k * 2))
  done
  mv "$work/join.cast" "$big"
fi
cat "$big" > /dev/null
plain=$(bench_file 200 --plain)
mix=$(bench_file 200)

rows=()
for f in "$big" "$plain" "$mix"; do
  bytes=$(stat -L -c %s "$f")
  rows=("$(measure "grep -c error" grep -c error "$f")")
  [ -n "$old" ] && rows+=("$(measure "old cast-grep -c -F error" "$old/cast-grep" -c -F error "$f")")
  rows+=("$(measure "cast-grep -c -F error" "$BIN/cast-grep" -c -F error "$f")")
  echo
  echo "$(basename "$f"):"
  table "$bytes" "${rows[@]}"
done
