"""The build cache: a cached or parallel build writes exactly what a clean single-process build writes."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, generate_site, make_site, snapshot
from dateline.cache import BuildCache, Fingerprints, Memo, cache_folder, digest
from dateline.dates import parse_date
from dateline.model import Event

CORPUS_EVENTS = 80


def build(source: Path, out: Path, *extra: str, jobs: int = 1) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATELINE_JOBS": str(jobs)}
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "build", "--source", str(source),
                             "--out", str(out), *extra], capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    return result


def clean(source: Path, tmp: Path) -> dict[str, bytes]:
    """Build without the cache, in one process, into a fresh folder, and return its files."""
    out = tmp / "clean-out"
    shutil.rmtree(out, ignore_errors=True)
    build(source, out, "--no-cache")
    assert not cache_folder(out).exists(), "--no-cache leaves no cache behind"
    return snapshot(out)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_site(tmp_path_factory.mktemp("corpus") / "site", CORPUS_EVENTS)


def test_cached_and_parallel_builds_equal_a_clean_build(corpus: Path, tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(corpus, source)
    expected = clean(source, tmp_path)
    out = tmp_path / "out"
    build(source, out, jobs=2)
    assert cache_folder(out).is_dir()
    assert snapshot(out) == expected, "a cold build with the cache, on two processes"
    build(source, out, jobs=2)
    assert snapshot(out) == expected, "a warm build with nothing changed"


def test_cache_follows_template_source_text_and_settings_changes(corpus: Path, tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(corpus, source)
    out = tmp_path / "out"
    build(source, out, jobs=2)

    # A site's own template overrides the default one.
    own = source / "templates"
    own.mkdir()
    base = (REPO / "templates/base.html").read_text(encoding="utf-8")
    (own / "base.html").write_text(base.replace("</footer>", "<p>Own footer</p></footer>", 1), encoding="utf-8")
    build(source, out, jobs=2)
    assert snapshot(out) == clean(source, tmp_path)
    assert b"Own footer" in (out / "index.html").read_bytes()

    # A source's stored text: its quotes are checked again against the new text.
    text = sorted((source / "content/sources").glob("*.txt"))[0]
    text.write_text(text.read_text(encoding="utf-8") + "\nA paragraph added later.\n", encoding="utf-8")
    build(source, out, jobs=2)
    assert snapshot(out) == clean(source, tmp_path)

    # Settings: every page shows the title.
    settings = source / "content/site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("title: ", "title: Renamed ", 1),
                        encoding="utf-8")
    build(source, out, jobs=2)
    assert snapshot(out) == clean(source, tmp_path)
    assert b"Renamed" in (out / "index.html").read_bytes()


def test_one_edit_rewrites_only_the_pages_that_show_it(corpus: Path, tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(corpus, source)
    out = tmp_path / "out"
    build(source, out)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    event = sorted((source / "content/events").glob("*.yaml"))[CORPUS_EVENTS // 2]
    event.write_text(event.read_text(encoding="utf-8").replace("summary: |\n", "summary: |\n  Edited.\n", 1),
                     encoding="utf-8")
    build(source, out)
    assert snapshot(out) == clean(source, tmp_path)
    touched = [p for p, mtime in before.items() if p.stat().st_mtime_ns != mtime]
    assert out / "events" / event.stem / "index.html" in touched
    assert 0 < len(touched) < len(before) // 4, "most files were left as they were"


def test_nothing_changed_writes_nothing_and_repeats_the_report(site_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = build(site_dir, out)
    files = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    cache_files = {p: p.stat().st_mtime_ns for p in cache_folder(out).rglob("*") if p.is_file()}
    again = build(site_dir, out)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == files
    assert {p: p.stat().st_mtime_ns for p in cache_folder(out).rglob("*") if p.is_file()} == cache_files
    assert again.stderr.split(" in ")[0] == first.stderr.split(" in ")[0], "same diagnostics and counts"


def test_output_changed_by_hand_is_repaired(site_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(site_dir, out)
    expected = snapshot(out)
    (out / "index.html").write_text("vandalised", encoding="utf-8")
    (out / "robots.txt").unlink()
    (out / "stray.html").write_text("left over", encoding="utf-8")
    build(site_dir, out)
    assert snapshot(out) == expected


def test_a_deleted_or_damaged_cache_only_costs_time(site_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(site_dir, out)
    expected = snapshot(out)
    for path in cache_folder(out).glob("*.pickle"):
        path.write_bytes(path.read_bytes()[:20])
    (site_dir / "content/tags.yaml").write_text(
        (site_dir / "content/tags.yaml").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    build(site_dir, out)
    assert snapshot(out) == expected
    shutil.rmtree(cache_folder(out))
    build(site_dir, out)
    assert snapshot(out) == expected


def test_memo_keeps_what_the_last_build_used(tmp_path: Path) -> None:
    path = tmp_path / "memo.pickle"
    memo = Memo(path, b"v1")
    memo["a"], memo[("b", 1)] = 1, 2
    assert memo.save()
    again = Memo(path, b"v1")
    assert again[("b", 1)] == 2 and "a" not in Memo(path, b"v2"), "another code version starts empty"
    assert again.save(), "'a' was not used, so it is dropped"
    assert "a" not in Memo(path, b"v1")
    third = Memo(path, b"v1")
    assert third.get(("b", 1)) == 2 and not third.save(), "nothing new: nothing written"
    path.write_bytes(pickle.dumps("garbage"))
    assert "b" not in Memo(path, b"v1")


def test_cache_lives_beside_the_output_in_memory_when_asked(tmp_path: Path) -> None:
    assert cache_folder(tmp_path / "site") == tmp_path / ".site.dateline-cache"
    memory = BuildCache(None)
    memory.memo("x")["k"] = 1
    memory.save()
    assert list(tmp_path.iterdir()) == []


def test_fingerprints_follow_content_not_identity() -> None:
    def event(title: str) -> Event:
        return Event(id="e", date=parse_date("2022-01-14"), title=title, summary="s", file="e.yaml")

    prints = Fingerprints()
    same = prints.of({"event": event("A"), "related": [event("A")]})
    assert same == Fingerprints().of({"event": event("A"), "related": [event("A")]})
    assert same != prints.of({"event": event("B"), "related": [event("A")]})
    assert digest("x") != digest(b"x") != digest(("x",))


def test_cache_follows_git_history(tmp_path: Path) -> None:
    from gitrepo import Repo

    repo = Repo(tmp_path / "repo")
    make_site(repo.root)
    repo.commit("First events", when="2022-01-01T00:00:00+00:00")
    out = tmp_path / "out"
    repo.edit("content/events/2022-01-12-sanctions.yaml", "title: ", "title: New ")
    build(repo.root, out)
    # Committing changes no file, but the history pages and first-published dates follow the commit.
    repo.commit("Sanctions: retitled", when="2022-03-01T00:00:00+00:00")
    build(repo.root, out)
    assert snapshot(out) == clean(repo.root, tmp_path)
    assert b"Sanctions: retitled" in (out / "changes/index.html").read_bytes()
