"""The benchmark corpus generator makes a valid, deterministic site (no timing here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def make_corpus(n: int, root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "bench" / "make_corpus.py"), str(n), str(root), *extra],
                          capture_output=True, text=True, timeout=120)


def test_corpus_passes_check(tmp_path: Path) -> None:
    made = make_corpus(60, tmp_path / "corpus")
    assert made.returncode == 0, made.stderr
    result = run_cli("check", "--source", str(tmp_path / "corpus"))
    assert result.returncode == 0, result.stderr
    assert " 0 errors" in result.stderr
    assert "quotes" in result.stderr and " 0 quotes" not in result.stderr


def test_corpus_has_every_date_precision_and_drafts(tmp_path: Path) -> None:
    assert make_corpus(200, tmp_path / "c").returncode == 0
    texts = [p.read_text() for p in sorted((tmp_path / "c/content/events").glob("*.yaml"))]
    dates = [t.split("\n", 1)[0].removeprefix("date: ") for t in texts]
    assert {len(d) for d in dates if "T" not in d} == {4, 7, 10}
    assert any("T" in d and d.endswith("Z") for d in dates) and any("+09:00" in d for d in dates)
    assert any("status: draft" in t for t in texts) and any("related:" in t for t in texts)
    assert len(list((tmp_path / "c/content/sources").glob("*.txt"))) == 40


def test_corpus_is_deterministic(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert make_corpus(40, tmp_path / name).returncode == 0
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    assert make_corpus(40, tmp_path / "a").returncode == 2, "refuses to overwrite without --force"
    assert make_corpus(40, tmp_path / "a", "--seed", "9", "--force").returncode == 0
    assert snapshot(tmp_path / "a") != snapshot(tmp_path / "b")
