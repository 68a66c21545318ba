"""Stage timings of a build, printed to stderr when DATELINE_TIMINGS is set (for bench/ and profiling)."""

from __future__ import annotations

import os
import sys
import time

_enabled = bool(os.environ.get("DATELINE_TIMINGS"))
_last = time.perf_counter()


def lap(stage: str) -> None:
    """Print the seconds since the last lap (or since this module was imported), named after the stage just done."""
    global _last
    if _enabled:
        now = time.perf_counter()
        print(f"timing: {stage:<28} {now - _last:7.3f} s", file=sys.stderr)
        _last = now
