#!/usr/bin/env python3
"""Checks cast-grep against an independent emulator (pyte): every row of text pyte shows after
some event must be found by `cast-grep -F ROW`, at a time when pyte showed it.

    grep_rows.py CAST_GREP FILE     prints "found N of M rows" and the first misses;
                                    exits 1 when any row is missed
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from screens import Screen, events, micros  # noqa: E402

import pyte  # noqa: E402


def shown_rows(path):
    it = events(path)
    _, cols, rows = next(it)
    screen = Screen(cols, rows)
    stream = pyte.Stream(screen)
    shown = {}
    for t, code, data in it:
        if code == "r":
            c, _, r = data.partition("x")
            screen.resize(lines=int(r), columns=int(c))
        elif code in ("o", "e"):
            stream.feed(data)
            for row in screen.display:
                row = row.rstrip()
                if row.strip():
                    shown.setdefault(row, set()).add(t)
    return shown


def main():
    grep, path = sys.argv[1], sys.argv[2]
    shown = shown_rows(path)
    misses = []
    for row, times in sorted(shown.items()):
        out = subprocess.run(
            [grep, "--json", "-F", "-e", row, path], capture_output=True
        ).stdout.decode("utf-8", "replace")
        found = []
        for line in out.splitlines():
            v = json.loads(line)
            if v["type"] != "match":
                continue
            text = v["line"].encode("utf-8")
            for m in v["matches"]:
                if text[m["start"]:m["end"]].decode("utf-8", "replace") == row:
                    found.append(micros(m["time"]))
        if not any(t in times for t in found):
            misses.append((row, sorted(times)[:3], found[:3]))
    print(f"found {len(shown) - len(misses)} of {len(shown)} rows")
    for row, times, found in misses[:15]:
        print(f"  missed {row!r}: shown at {times}, found at {found}")
    sys.exit(1 if misses else 0)


if __name__ == "__main__":
    main()
