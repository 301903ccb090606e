#!/usr/bin/env bash
# cast-rec benchmark: throughput, the cost of keeping stdout and stderr in order (--stderr),
# and added keystroke latency, side by side with `asciinema rec --headless` and util-linux
# `script -q -c`, all in one run.
#
# Usage: bench/rec.sh [SIZE_MB] [ROUNDS] [PAIRS]   (defaults: 100 MB, 3 rounds, 20000 pairs)
# Needs: a release build of cast-rec (CAST_REC=path, else target/release/cast-rec),
#        script(1), python3; asciinema 3.x on PATH (or ASCIINEMA=path) if present.
# Each round runs every recorder once, in turn, on the same input; the best of the rounds
# is reported (the least disturbed by other load on the machine).
set -euo pipefail

size_mb=${1:-100}
rounds=${2:-3}
pairs=${3:-20000}
here=$(cd "$(dirname "$0")/.." && pwd)
rec=${CAST_REC:-$here/target/release/cast-rec}
asciinema=${ASCIINEMA:-$(command -v asciinema || echo "$HOME/.cargo/bin/asciinema")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ -x "$rec" ] || { echo "missing: $rec" >&2; exit 2; }
have_asciinema=1
[ -x "$asciinema" ] || { echo "asciinema not found ($asciinema): its rows are skipped" >&2; have_asciinema=; }
command -v script >/dev/null || { echo "missing: script (util-linux)" >&2; exit 2; }

# Input: log-like text with colours and multi-byte characters, like real terminal output.
big=$work/big.txt
python3 - "$big" "$size_mb" <<'PY'
import sys
path, mb = sys.argv[1], int(sys.argv[2])
lines = []
for i in range(4096):
    lines.append(f"\x1b[32m[{i:05d}]\x1b[0m build step {i*7919 % 100003} ok: héllo wörld 中文 ✓ "
                 f"{'x' * (i % 60)}\n")
block = "".join(lines).encode()
with open(path, "wb") as f:
    n = 0
    while n < mb * 1024 * 1024:
        f.write(block)
        n += len(block)
    f.truncate(mb * 1024 * 1024)
PY
bytes=$(stat -c %s "$big")
echo "input: $bytes bytes ($size_mb MB), $rounds rounds; load average: $(cut -d" " -f1-3 /proc/loadavg)"
echo "cast-rec: $("$rec" --version)  asciinema: ${have_asciinema:+$("$asciinema" --version)}  $(script --version)"
echo

# "ELAPSED_MS CPU_MS" for one run of "$@" (output to /dev/null; the recording to $work).
# CPU is the task-clock of the recorder with all its threads and children (so cat's share,
# the same for every recorder, is in it too), which other load on the machine disturbs far
# less than elapsed time; "-" without perf.
timed() {
    local s e cpu=-
    s=$(date +%s%N)
    if command -v perf >/dev/null; then
        perf stat -x, -e task-clock -o "$work/stat" "$@" </dev/null >/dev/null 2>"$work/err" \
            || { echo "failed: $*" >&2; cat "$work/err" >&2; exit 1; }
        cpu=$(awk -F, '/task-clock/ {printf "%d", $1}' "$work/stat")
    else
        "$@" </dev/null >/dev/null 2>"$work/err" || { echo "failed: $*" >&2; cat "$work/err" >&2; exit 1; }
    fi
    e=$(date +%s%N)
    echo "$(( (e - s) / 1000000 )) $cpu"
}

declare -A runs cpus wrote
names=(cat cast-rec rec-stderr asciinema script)
[ -n "$have_asciinema" ] || names=(cat cast-rec rec-stderr script)
for r in $(seq "$rounds"); do
    for n in "${names[@]}"; do
        rm -f "$work/out"*
        case $n in
            cat) res=$(timed cat "$big") ;;
            cast-rec) res=$(timed "$rec" --headless -q -c "cat $big" "$work/out.cast") ;;
            rec-stderr) res=$(timed "$rec" --headless -q --stderr -c "cat $big" "$work/out.cast") ;;
            asciinema) res=$(timed "$asciinema" rec --headless -q -c "cat $big" "$work/out.cast") ;;
            script) res=$(timed script -q -c "cat $big" "$work/out.typescript") ;;
        esac
        runs[$n]+="${res% *} "
        cpus[$n]+="${res#* } "
        if [ "$n" != cat ]; then wrote[$n]=$(stat -c %s "$(ls "$work"/out*)"); fi
    done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
best() { tr ' ' '\n' | grep -v '^$' | sort -n | head -1; }
echo "throughput: cat of $size_mb MB through each recorder (elapsed: best and median of rounds;"
echo "cpu: recorder + threads + cat, median)"
printf '  %-10s %9s %9s %9s %9s %12s\n' tool best_ms med_ms MB/s cpu_ms wrote_bytes
for n in "${names[@]}"; do
    b=$(echo "${runs[$n]}" | best)
    m=$(echo "${runs[$n]}" | median)
    c=$(echo "${cpus[$n]}" | median)
    printf '  %-10s %9d %9d %9.1f %9s %12s\n' "$n" "$b" "$m" \
        "$(echo "$bytes / 1048576 / ($b / 1000)" | bc -l)" "$c" "${wrote[$n]:--}"
done

base=$(echo "${runs[cast-rec]}" | best)
ord=$(echo "${runs[rec-stderr]}" | best)
echo "  --stderr / plain cast-rec: $(echo "$ord / $base" | bc -l | cut -c1-4)x (best of rounds)"

# Small alternating writes: the worst case for --stderr, one held write per line.
echo
writes=$((pairs * 2))
echo "small alternating writes: python os.write(1)/os.write(2), $pairs pairs ($writes writes, best of $rounds)"
cat > "$work/w.py" <<PY
import os
for i in range($pairs):
    os.write(1, b"out%d\n" % i)
    os.write(2, b"err%d\n" % i)
PY
declare -A wruns wcpus
wnames=(bare cast-rec rec-stderr-off rec-stderr-std rec-stderr asciinema)
[ -n "$have_asciinema" ] || wnames=(bare cast-rec rec-stderr-off rec-stderr-std rec-stderr)
for r in $(seq "$rounds"); do
    for n in "${wnames[@]}"; do
        rm -f "$work/out"*
        case $n in
            bare) res=$(timed python3 "$work/w.py") ;;
            cast-rec) res=$(timed "$rec" --headless -q -c "python3 $work/w.py" "$work/out.cast") ;;
            rec-stderr-off) res=$(timed "$rec" --headless -q --stderr --stderr-order off -c "python3 $work/w.py" "$work/out.cast") ;;
            rec-stderr-std) res=$(timed "$rec" --headless -q --stderr --stderr-order std -c "python3 $work/w.py" "$work/out.cast") ;;
            rec-stderr) res=$(timed "$rec" --headless -q --stderr -c "python3 $work/w.py" "$work/out.cast") ;;
            asciinema) res=$(timed "$asciinema" rec --headless -q -c "python3 $work/w.py" "$work/out.cast") ;;
        esac
        wruns[$n]+="${res% *} "
        wcpus[$n]+="${res#* } "
    done
done
# Elapsed time includes waiting for a CPU, which a loaded machine makes long for a program
# that hands the CPU back and forth on every write; CPU time (task-clock) does not.
off=$(echo "${wruns[rec-stderr-off]}" | best)
offc=$(echo "${wcpus[rec-stderr-off]}" | median)
printf '  %-15s %9s %9s %18s %18s\n' tool best_ms cpu_ms "elapsed us/write" "cpu us/write"
printf '  %-15s %9s %9s %18s %18s\n' "" "" "" "(over --stderr-order off)" ""
for n in "${wnames[@]}"; do
    b=$(echo "${wruns[$n]}" | best)
    c=$(echo "${wcpus[$n]}" | median)
    cw=-
    [ "$c" != - ] && [ "$offc" != - ] && cw=$(printf '%.1f' "$(echo "($c - $offc) * 1000 / $writes" | bc -l)")
    printf '  %-15s %9d %9s %18.1f %18s\n' "$n" "$b" "$c" "$(echo "($b - $off) * 1000 / $writes" | bc -l)" "$cw"
done

echo
echo "keystroke round trip (a byte typed into a terminal, echoed back by 'cat' in raw mode;"
echo "all sessions open at once, taking turns, 2000 keys each, 2 ms apart)"
python3 - "$rec" "$asciinema" "$work" <<'PY'
import os, sys, time, subprocess, select, statistics, fcntl, termios

rec, asciinema, work = sys.argv[1], sys.argv[2], sys.argv[3]
N = 2000
inner = "stty raw -echo; echo READY; exec cat"

def start(argv):
    m, s = os.openpty()
    # The pty is the program's controlling terminal, as in a terminal emulator.
    p = subprocess.Popen(argv, stdin=s, stdout=s, stderr=s, start_new_session=True,
                         preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
                         env=dict(os.environ, TERM="xterm"), cwd=work)
    os.close(s)
    buf = b""
    deadline = time.time() + 20
    while b"READY" not in buf:
        r, _, _ = select.select([m], [], [], 1)
        if r:
            buf += os.read(m, 4096)
        if time.time() > deadline:
            raise SystemExit(f"no READY from {argv}")
    return m, p

def settle(m):
    # Drain whatever followed the READY line (asciinema's terminal queries time out first).
    while select.select([m], [], [], 0.2)[0]:
        os.read(m, 4096)

def sample(m, n, into):
    for _ in range(n):
        # Keys a few milliseconds apart, as typed: each round trip starts with the recorder
        # idle, not still writing the previous key's event.
        time.sleep(0.002)
        t0 = time.perf_counter_ns()
        os.write(m, b"x")
        got = b""
        while not got:
            got = os.read(m, 64)
        into.append((time.perf_counter_ns() - t0) / 1000)

cases = [
    ("bare pty", ["sh", "-c", inner]),
    ("cast-rec", [rec, "-q", "-c", inner, "lat.cast", "--overwrite"]),
    ("asciinema", [asciinema, "rec", "-q", "--overwrite", "-c", inner, "lat2.cast"]),
    ("script", ["script", "-q", "-c", inner, "/dev/null"]),
]
if not os.access(asciinema, os.X_OK):
    cases = [c for c in cases if c[0] != "asciinema"]
# All sessions run at once and take turns, so that load on the machine falls on all alike.
live = [(name, *start(argv)) for name, argv in cases]
time.sleep(1.5)
for _, m, _ in live:
    settle(m)
samples = {name: [] for name, _, _ in live}
ROUNDS = 20
for _ in range(ROUNDS):
    for name, m, _ in live:
        sample(m, N // ROUNDS, samples[name])
for _, m, p in live:
    p.kill()
    p.wait()
    os.close(m)
print(f"  {'path':<10} {'median us':>10} {'p90 us':>10} {'p99 us':>10} {'added (median)':>15}")
base = None
for name, _, _ in live:
    xs = sorted(samples[name])
    med = statistics.median(xs)
    if base is None:
        base = med
    print(f"  {name:<10} {med:10.1f} {xs[int(len(xs) * 0.9)]:10.1f} "
          f"{xs[int(len(xs) * 0.99)]:10.1f} {med - base:15.1f}")
PY
