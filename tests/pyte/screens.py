#!/usr/bin/env python3
"""An independent terminal emulator (pyte) over an asciicast recording, for the tests.

    screens.py FILE at SECONDS   the screen after every output event at or before SECONDS,
                                 as a JSON list of rows (trailing blanks trimmed)
    screens.py FILE rows         for every output event, one JSON line [micros, [rows...]]:
                                 the screen right after it

Output (o) and stderr (e) events are drawn, resizes (r) applied; other events are skipped.
pyte raises on private SGR (vim's CSI > 4 ; 2 m): those are ignored here, as terminals do.
"""
import json
import sys

import pyte


class Screen(pyte.Screen):
    def select_graphic_rendition(self, *attrs, **kwargs):
        if kwargs.get("private"):
            return
        super().select_graphic_rendition(*attrs)


def micros(v):
    # Exact for the decimal forms recorders write (at most six decimals).
    s = repr(v) if isinstance(v, float) else str(v)
    neg = s.startswith("-")
    s = s.lstrip("-")
    if "e" in s or "E" in s:
        return round(float(v) * 1_000_000)
    whole, _, frac = s.partition(".")
    us = int(whole or 0) * 1_000_000 + int((frac + "000000")[:6] or 0)
    return -us if neg else us


def events(path):
    with open(path, encoding="utf-8") as f:
        header = json.loads(f.readline())
        if header.get("version") == 3:
            cols, rows = header["term"]["cols"], header["term"]["rows"]
        else:
            cols, rows = header["width"], header["height"]
        yield ("size", cols, rows)
        t = 0
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            ev = json.loads(line)
            dt = micros(ev[0])
            t = t + max(dt, 0) if header.get("version") == 3 else dt
            yield (t, ev[1], ev[2])


def display(screen):
    return [row.rstrip() for row in screen.display]


def main():
    path, mode = sys.argv[1], sys.argv[2]
    it = events(path)
    _, cols, rows = next(it)
    screen = Screen(cols, rows)
    stream = pyte.Stream(screen)
    limit = micros(sys.argv[3]) if mode == "at" else None
    out = sys.stdout
    for t, code, data in it:
        if limit is not None and t > limit:
            break
        if code == "r":
            c, _, r = data.partition("x")
            screen.resize(lines=int(r), columns=int(c))
        elif code in ("o", "e"):
            stream.feed(data)
            if mode == "rows":
                out.write(json.dumps([t, display(screen)], ensure_ascii=False) + "\n")
    if mode == "at":
        out.write(json.dumps(display(screen), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
