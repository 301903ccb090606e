#!/usr/bin/env python3
"""Writes a large v2 recording of typical terminal output to stdout: plain lines, SGR
colours, long lines that wrap, CR progress bars, CJK and emoji, a resize now and then.

usage: gen_txt_cast.py MEGABYTES [COLS ROWS]"""
import json
import sys

mb = float(sys.argv[1]) if len(sys.argv) > 1 else 100
cols = int(sys.argv[2]) if len(sys.argv) > 2 else 100
rows = int(sys.argv[3]) if len(sys.argv) > 3 else 30
limit = int(mb * 1024 * 1024)
out = sys.stdout
w = out.write
header = {"version": 2, "width": cols, "height": rows, "title": "generated"}
w(json.dumps(header) + "\n")
size = 0
t = 0.0
i = 0
words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod".split()
while size < limit:
    i += 1
    k = i % 10
    if k == 0:
        s = "\x1b[1;32m✔\x1b[0m step %d done in \x1b[33m%d ms\x1b[0m\r\n" % (i, i % 997)
    elif k == 1:
        s = " ".join(words[(i + j) % len(words)] for j in range(40)) + "\r\n"
    elif k == 2:
        s = "".join("\r[%-20s] %3d%%" % ("#" * (p // 5), p) for p in range(0, 101, 10)) + "\r\n"
    elif k == 3:
        s = "中文输出 第%d行 日本語のテキスト 한국어 😀 emoji\r\n" % i
    elif k == 4:
        s = "\x1b[38;5;%dmcolour %d\x1b[0m \x1b[48;2;10;20;30mtruecolour\x1b[0m\r\n" % (i % 256, i)
    elif k == 5 and i % 5000 == 5:
        line = json.dumps([round(t, 6), "r", "%dx%d" % (cols - 20 if i % 10000 == 5 else cols, rows)])
        w(line + "\n")
        size += len(line) + 1
        s = "$ resize\r\n"
    else:
        s = "$ ls -l /usr/lib/file%05d.so\r\n-rw-r--r-- 1 root root %7d Jan  1 00:00 file%05d.so\r\n" % (i, i * 7, i)
    t += 0.001
    line = json.dumps([round(t, 6), "o", s])
    w(line + "\n")
    size += len(line) + 1
