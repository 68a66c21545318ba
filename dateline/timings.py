"""Stage timings of a build, printed to stderr when DATELINE_TIMINGS is set (for bench/ and profiling)."""

from __future__ import annotations

import os
import resource
import sys
import time

_enabled = bool(os.environ.get("DATELINE_TIMINGS"))
_last = time.perf_counter()
_last_cpu = 0.0


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def lap(stage: str) -> None:
    """Print the seconds since the last lap (or since this module was imported), named after the stage just done."""
    global _last, _last_cpu
    if _enabled:
        now, cpu = time.perf_counter(), _cpu()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"timing: {stage:<28} {now - _last:7.3f} s  (CPU {cpu - _last_cpu:6.2f} s, with finished workers;"
              f" peak RSS {peak:4.0f} MB)", file=sys.stderr)
        _last, _last_cpu = now, cpu
