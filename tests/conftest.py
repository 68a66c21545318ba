"""Shared helpers: run the CLI as a user would, on fixture sites copied into tmp_path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 120,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python build.py ARGS` as a subprocess (with `env` added to the environment) and capture its output."""
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args], cwd=cwd or REPO,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **env} if env is not None else None)


def make_site(root: Path, base: str = "mini", files: dict[str, str | bytes | None] | None = None) -> Path:
    """Copy a fixture site to root, then write (or delete, for None) the given content files."""
    shutil.copytree(FIXTURES / base, root, dirs_exist_ok=True)
    for rel, data in (files or {}).items():
        path = root / rel
        if data is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return root


def generate_site(root: Path, events: int) -> Path:
    """Write a realistic site of `events` events to root with bench/make_corpus.py; return root."""
    made = subprocess.run([sys.executable, str(REPO / "bench/make_corpus.py"), str(events), str(root)],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    """Return every file under folder with its bytes, keyed by relative path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    """A fresh copy of the mini fixture site."""
    return make_site(tmp_path / "site-src")
