#!/usr/bin/env python3
"""Writes a large, realistic asciicast v2 recording for benchmarks.

A mix of what real sessions hold: bursts of single-character typing (with echo and a few `i`
events), shell prompts with colour, build logs with SGR colours and non-ASCII text (some on
stderr, as castkit's `e` events), long lines that wrap, progress bars redrawn with carriage
returns, occasional full-screen redraws of 15-20 KB on the alternate screen, markers, resizes,
and long idle pauses. Deterministic for a given seed, so runs compare.

usage: gen.py OUT.cast SIZE_MB [--seed N] [--plain] [--mix typing|corpus|keys]

--plain leaves out what asciinema's text export drops or renders its own way (full-screen
redraws, resizes, stderr events), for output comparisons with asciinema.

--mix typing (the default) is typing-heavy: about 84% of event lines are one keystroke (yet
only 16% of the bytes: the log bursts between hold the rest). --mix corpus types less, so that
about 18% of event lines are keystroke-sized (under 40 bytes), as in the public corpus of real
recordings; there the cost per byte dominates. --mix keys is nothing but typed keys, 10-50 ms
apart, for the cost per event alone (200 MB is 8 million events).
"""
import argparse
import json
import random


# In --mix corpus, the share of typing bursts drawn again as something else.
CORPUS_SKIP = 0.95


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("size_mb", type=float)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--plain", action="store_true")
    ap.add_argument("--mix", choices=["typing", "corpus", "keys"], default="typing")
    args = ap.parse_args()
    target = int(args.size_mb * 1024 * 1024)
    rng = random.Random(args.seed)
    words = ("build compile error warning test passed failed crate module linking "
             "résumé naïve 日本語 中文 한국어 emoji 😀 ✓ ✗ → λ").split()
    colors = ["\x1b[1;32m", "\x1b[31m", "\x1b[33m", "\x1b[36m", "\x1b[0m", "\x1b[38;5;208m"]
    t = 0.0
    written = 0
    buf = []

    def dump(v):
        return json.dumps(v, ensure_ascii=False)

    def ev(code, data):
        nonlocal written
        line = "[%.6f, %s, %s]\n" % (t, dump(code), dump(data))
        buf.append(line)
        written += len(line)

    def phrase(lo, hi):
        return " ".join(rng.choice(words) for _ in range(rng.randint(lo, hi)))

    with open(args.out, "w", encoding="utf-8") as f:
        header = {"version": 2, "width": 120, "height": 40, "timestamp": 1700000000,
                  "env": {"SHELL": "/bin/bash", "TERM": "xterm-256color"}, "title": "bench"}
        f.write(dump(header) + "\n")
        n = 0
        if args.mix == "keys":
            keystrokes(f, rng, target)
            return
        while written < target:
            kind = rng.random()
            if args.mix == "corpus" and kind < 0.45 and rng.random() < CORPUS_SKIP:
                kind = 0.45 + rng.random() * 0.55  # something other than typing
            if kind < 0.45:  # typing a command, one key at a time
                for ch in phrase(1, 5):
                    t += rng.uniform(0.03, 0.25)
                    if rng.random() < 0.3:
                        ev("i", ch)
                    ev("o", ch)
                t += 0.1
                ev("o", "\r\n")
            elif kind < 0.74:  # a coloured log burst
                lines = [f"{rng.choice(colors)}{phrase(3, 14)}\x1b[0m\r\n"
                         for _ in range(rng.randint(5, 60))]
                t += rng.uniform(0.001, 0.05)
                ev("o", "".join(lines))
            elif kind < 0.80:  # warnings and errors on stderr
                if args.plain:
                    continue
                lines = [f"\x1b[1;31merror\x1b[0m: {phrase(3, 10)}\r\n"
                         for _ in range(rng.randint(1, 8))]
                t += rng.uniform(0.001, 0.05)
                ev("e", "".join(lines))
            elif kind < 0.83:  # lines longer than the terminal is wide
                t += rng.uniform(0.001, 0.05)
                ev("o", phrase(30, 60) + "\r\n")
            elif kind < 0.93:  # a progress bar redrawn in place
                for p in range(0, 101, rng.choice([5, 10, 20])):
                    t += rng.uniform(0.01, 0.2)
                    bar = "#" * (p // 4) + "." * (25 - p // 4)
                    ev("o", f"\r\x1b[K[{bar}] {p:3d}% ⏳")
                ev("o", "\r\n")
            elif kind < 0.985:  # a full-screen redraw (alt screen)
                if args.plain:
                    continue
                rows = []
                for r in range(40):
                    cells = "".join(rng.choice("│─┼ abcdefghij0123456789") for _ in range(118))
                    rows.append(f"\x1b[{r + 1};1H\x1b[48;5;{rng.randint(16, 231)}m{cells}")
                t += rng.uniform(0.01, 0.1)
                ev("o", "\x1b[?1049h" + "".join(rows) + "\x1b[0m")
                t += rng.uniform(0.5, 3)
                ev("o", "\x1b[?1049l")
            elif kind < 0.99:
                t += rng.uniform(5, 60)  # an idle pause
                ev("o", "\x1b[1;34m~/src\x1b[0m $ ")
            elif kind < 0.995:
                t += 0.01
                ev("m", f"chapter {n}")
            elif not args.plain:
                t += 0.01
                ev("r", f"{rng.randint(80, 200)}x{rng.randint(24, 60)}")
            n += 1
            if len(buf) > 4096:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))


def keystrokes(f, rng, target):
    """Only typed keys, one ASCII letter an event, 10-50 ms apart: the cost per event alone."""
    t = 0.0
    written = 0
    while written < target:
        lines = []
        for _ in range(4096):
            t += rng.uniform(0.01, 0.05)
            lines.append('[%.6f, "o", "%s"]\n' % (t, rng.choice("abcdefghijklmnop ")))
        chunk = "".join(lines)
        f.write(chunk)
        written += len(chunk)


if __name__ == "__main__":
    main()
