#!/usr/bin/env python3
"""Runs a command once and writes "WALL USER SYS MAXRSS_KIB" to a file, in seconds with
microsecond resolution (GNU time's %e has only hundredths, too coarse beside a `cat` that
copies 200 MiB in 0.06 s).

usage: timeit.py TIMES_FILE CMD [ARGS...]   (CMD's stdin, stdout and stderr are this one's)

The exit status is CMD's. Wall time runs from just before the fork to the moment wait4
returns; the CPU times are wait4's resource usage (CMD and what it waited for). The peak RSS
comes from GNU time (%M) run between: a child forked from Python keeps Python's peak RSS as
its own across exec, which would hide a small one.
"""
import os
import sys
import time


def main():
    out, cmd = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp("/usr/bin/time", ["time", "-q", "-f", "%M", "-o", out + ".rss"] + cmd)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    with open(out + ".rss") as f:
        rss = int(f.read().split()[-1])
    os.unlink(out + ".rss")
    with open(out, "w") as f:
        f.write("%.6f %.6f %.6f %d\n" % (wall, ru.ru_utime, ru.ru_stime, rss))
    sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)


if __name__ == "__main__":
    main()
