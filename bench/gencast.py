#!/usr/bin/env python3
"""Generate a large, realistic asciicast v3 recording for benchmarks.

usage: gencast.py SIZE_MB [SEED] > big.cast

A shell session: a prompt with colours and a window title, commands typed one key at a time
(an `i` event and its echo as `o`), then output in bursts of a few hundred bytes to several KB:
coloured log lines, compiler diagnostics, CR-redrawn progress bars, `ls` listings, non-ASCII
text (accents, CJK, emoji, box drawing). The file is assembled from a pool of pre-encoded
events, so hundreds of MB take seconds.
"""
import json
import random
import sys

size = int(float(sys.argv[1]) * 1024 * 1024) if len(sys.argv) > 1 else 300 * 1024 * 1024
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)

E = "\x1b"
WORDS = ("the of and to in is for on with as by at from build test cargo module request "
         "server client cache index parse token value buffer stream thread worker queue "
         "connection timeout retry config handler update release deploy commit branch").split()
INTL = ["café", "naïve façade", "Größe", "日本語のテキスト", "中文字符测试", "한국어",
        "emoji 😀🚀✨", "résumé", "│ box ─ drawing ┼", "Ελληνικά", "Кириллица"]
LEVELS = [("INFO", "32"), ("WARN", "33"), ("DEBUG", "2"), ("ERROR", "31")]


def words(n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def log_line():
    lvl, col = rng.choice(LEVELS)
    ts = f"2024-05-{rng.randint(1, 28):02}T{rng.randint(0, 23):02}:{rng.randint(0, 59):02}:{rng.randint(0, 59):02}Z"
    msg = words(rng.randint(3, 12))
    if rng.random() < 0.15:
        msg += " " + rng.choice(INTL)
    if rng.random() < 0.02:
        msg += " connection error: reset by peer"
    return f"{E}[2m{ts}{E}[0m {E}[{col}m{lvl:5}{E}[0m {msg}\r\n"


def diag():
    f = rng.choice(["src/main.rs", "src/lib.rs", "src/parse.rs", "tests/it.rs"])
    line = rng.randint(1, 999)
    kind = rng.choice([("warning", "33"), ("warning", "33"), ("error", "31")])
    return (f"{E}[1m{E}[{kind[1]}m{kind[0]}{E}[0m{E}[1m: unused variable: `{rng.choice(WORDS)}`{E}[0m\r\n"
            f"  {E}[1m{E}[34m-->{E}[0m {f}:{line}:{rng.randint(1, 80)}\r\n"
            f"   {E}[1m{E}[34m|{E}[0m\r\n"
            f"{E}[1m{E}[34m{line:<3}{E}[0m {E}[1m{E}[34m|{E}[0m     let {rng.choice(WORDS)} = {words(3)};\r\n\r\n")


def progress():
    out = []
    width = 30
    for pct in range(0, 101, rng.choice([5, 10, 20, 25])):
        n = pct * width // 100
        out.append(f"\r{E}[K{E}[36mDownloading{E}[0m [{'#' * n}{' ' * (width - n)}] {pct:3}% ")
    return "".join(out) + "\r\n"


def ls():
    out = []
    for _ in range(rng.randint(3, 15)):
        name = rng.choice(WORDS) + rng.choice([".rs", ".txt", "", ".md", "_test.go"])
        col = "1;34" if "." not in name else "0"
        out.append(f"-rw-r--r-- 1 user user {rng.randint(10, 99999):6} May {rng.randint(1, 28):2} {E}[{col}m{name}{E}[0m\r\n")
    return "".join(out)


def burst():
    parts = []
    target = rng.choice([200, 600, 1500, 4000, 8000])
    total = 0
    kind = rng.random()
    while total < target:
        if kind < 0.5:
            s = log_line()
        elif kind < 0.7:
            s = diag()
        elif kind < 0.8:
            s = progress()
        else:
            s = ls()
        parts.append(s)
        total += len(s)
    return "".join(parts)


def prompt():
    return (f"{E}]0;user@host: ~/src{chr(7)}{E}[?2004h{E}[01;32muser@host{E}[00m:"
            f"{E}[01;34m~/src{E}[00m$ ")


def ev(code, data):
    return json.dumps([0, code, data], ensure_ascii=False)[4:]  # strip the leading "[0, "


bursts = [ev("o", burst()) for _ in range(3000)]
prompts = [ev("o", prompt())]
keys = {c: (ev("i", c), ev("o", c)) for c in "abcdefghijklmnopqrstuvwxyz -./_"}
enter = (ev("i", "\r"), ev("o", f"\r\n{E}[?2004l\r"))
commands = ["cargo build --release", "ls -la", "tail -n 200 server.log", "git status",
            "make test", "curl -O https://example.com/file.tar.gz", "grep -rn todo src"]

w = sys.stdout
w.write('{"version": 3, "term": {"cols": 120, "rows": 36, "type": "xterm-256color"}, '
        '"timestamp": 1715000000, "title": "benchmark session"}\n')
written = 0
while written < size:
    lines = [f"[{rng.randint(300, 4000) / 1000}, {prompts[0]}\n"]
    for c in rng.choice(commands):
        i, o = keys.get(c, keys[" "])
        lines.append(f"[{rng.randint(40, 300) / 1000}, {i}\n")
        lines.append(f"[0.002, {o}\n")
    lines.append(f"[0.2, {enter[0]}\n[0.001, {enter[1]}\n")
    for _ in range(rng.randint(5, 200)):
        lines.append(f"[{rng.randint(1, 200) / 1000}, {rng.choice(bursts)}\n")
    chunk = "".join(lines)
    w.write(chunk)
    written += len(chunk.encode())
