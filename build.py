#!/usr/bin/env python3
"""Dateline's command line: python build.py build|check|serve|new|import|review ..."""

import sys

from dateline.cli import main

if __name__ == "__main__":
    sys.exit(main())
