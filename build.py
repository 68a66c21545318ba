#!/usr/bin/env python3
"""Dateline's command line: python build.py build|check|serve|new|import|review ..."""

import os
import sys

from dateline.cli import main

if __name__ == "__main__":
    status = main()
    # Leave without tearing down the build's millions of objects one by one (a third of a second at
    # 10,000 events): every file is closed by now; only the standard streams need flushing.
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        status = status or 1
    os._exit(status)
