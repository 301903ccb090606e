#!/usr/bin/env python3
"""Writes a large asciicast v2 recording with stdout and stderr interleaved, for benchmarking
cast-merge-stderr, cast-cat and cast-info.

What a build session looks like when the recorder keeps stderr apart: typing one key at a time
(with `i` events), coloured log bursts on stdout, warnings and errors on stderr (some coloured
themselves), progress bars redrawn with carriage returns, full-screen redraws with 256-colour
backgrounds, non-ASCII text, markers, resizes and idle pauses. Deterministic (fixed seed).

usage: tools3_gen.py OUT.cast SIZE_MB
"""
import json
import random
import sys


def main():
    out_path, size_mb = sys.argv[1], float(sys.argv[2])
    target = int(size_mb * 1024 * 1024)
    rng = random.Random(3)
    words = ("cargo build warning error unused variable résumé naïve 日本語 中文 한국어 "
             "😀 ✓ ✗ → λ crate module linking test passed failed").split()
    sgr = ["\x1b[1;32m", "\x1b[31m", "\x1b[33m", "\x1b[36m", "\x1b[0m", "\x1b[38;5;208m",
           "\x1b[1m", "\x1b[4:3;58;2;255;0;0m"]
    t = 0.0
    written = 0
    buf = []
    dump = json.dumps

    def ev(code, data):
        nonlocal written
        line = "[%.6f, %s, %s]\n" % (t, dump(code), dump(data))
        buf.append(line)
        written += len(line)

    def text(lo, hi):
        return " ".join(rng.choice(words) for _ in range(rng.randint(lo, hi)))

    with open(out_path, "w", encoding="utf-8") as f:
        header = {"version": 2, "width": 120, "height": 40, "timestamp": 1700000000,
                  "env": {"SHELL": "/bin/bash", "TERM": "xterm-256color"}, "title": "tools3"}
        f.write(dump(header) + "\n")
        n = 0
        while written < target:
            kind = rng.random()
            if kind < 0.35:  # typing
                for ch in text(1, 4):
                    t += rng.uniform(0.03, 0.25)
                    if rng.random() < 0.3:
                        ev("i", ch)
                    ev("o", ch)
                t += 0.1
                ev("o", "\r\n")
            elif kind < 0.60:  # a coloured burst on stdout, left in some colour
                lines = "".join(f"{rng.choice(sgr)}{text(3, 12)}\r\n" for _ in range(rng.randint(3, 40)))
                t += rng.uniform(0.001, 0.05)
                ev("o", lines)
            elif kind < 0.80:  # stderr: warnings and errors, a few coloured by the program
                for _ in range(rng.randint(1, 6)):
                    t += rng.uniform(0.001, 0.02)
                    msg = f"{rng.choice(['warning', 'error'])}: {text(2, 10)}\n"
                    if rng.random() < 0.3:
                        msg = f"\x1b[1;31merror\x1b[0m: {text(2, 8)}\n"
                    ev("e", msg)
            elif kind < 0.90:  # a progress bar
                for p in range(0, 101, rng.choice([10, 20])):
                    t += rng.uniform(0.01, 0.2)
                    ev("o", f"\r\x1b[K[{'#' * (p // 4)}{'.' * (25 - p // 4)}] {p:3d}% ⏳")
                ev("o", "\r\n")
            elif kind < 0.97:  # a full-screen redraw
                rows = "".join(
                    f"\x1b[{r + 1};1H\x1b[48;5;{rng.randint(16, 231)}m"
                    + "".join(rng.choice("│─┼ abcdef0123") for _ in range(118))
                    for r in range(40))
                t += rng.uniform(0.01, 0.1)
                ev("o", "\x1b[?1049h" + rows + "\x1b[0m")
                t += rng.uniform(0.5, 3)
                ev("o", "\x1b[?1049l")
            elif kind < 0.985:
                t += rng.uniform(5, 60)
                ev("o", "\x1b[1;34m~/src\x1b[0m $ ")
            elif kind < 0.995:
                t += 0.01
                ev("m", f"step {n}")
            else:
                t += 0.01
                ev("r", f"{rng.randint(80, 200)}x{rng.randint(24, 60)}")
            n += 1
            if len(buf) > 4096:
                f.write("".join(buf))
                buf.clear()
        t += 0.5
        ev("x", "0")
        f.write("".join(buf))


if __name__ == "__main__":
    main()
