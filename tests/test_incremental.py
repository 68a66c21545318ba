"""Incremental rebuilds: the per-file cache, the Builder, and byte-identical output after edits."""

from __future__ import annotations

import os
from pathlib import Path

from dateline.load import FileCache, load_content, load_yaml_file


def _age(path: Path, seconds: float = 10) -> None:
    """Move a file's modification time into the past, as if it had been saved a while ago."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - int(seconds * 1e9)))


def test_file_cache_rereads_only_changed_files(site_dir: Path) -> None:
    event = site_dir / "content/events/2019-first-test.yaml"
    other = site_dir / "content/events/2022-01-12-sanctions.yaml"
    for path in (event, other):
        _age(path)
    cache = FileCache()
    first, _ = cache.load_yaml_file(event)
    kept, _ = cache.load_yaml_file(other)
    assert cache.load_yaml_file(event)[0] is first and cache.load_yaml_file(other)[0] is kept

    event.write_text(event.read_text(encoding="utf-8").replace("First test", "Second test"), encoding="utf-8")
    again, _ = cache.load_yaml_file(event)
    assert again is not first and again.data["title"] == "Second test of the Iskander-like missile"
    assert cache.load_yaml_file(other)[0] is kept


def test_file_cache_rereads_a_racily_clean_file(site_dir: Path) -> None:
    # Same size and modification time: the edit is still seen.
    event = site_dir / "content/events/2019-first-test.yaml"
    cache = FileCache()
    st = event.stat()
    assert cache.load_yaml_file(event)[0].data["circa"] is True
    event.write_text(event.read_text(encoding="utf-8").replace("circa: true", "circa: fals"), encoding="utf-8")
    os.utime(event, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert cache.load_yaml_file(event)[0].data["circa"] == "fals"


def test_load_content_through_the_cache_equals_a_plain_load(site_dir: Path) -> None:
    cache = FileCache()
    content = site_dir / "content"
    load_content(content, cache)
    (content / "events/2019-first-test.yaml").unlink()
    (content / "sources/wire.txt").write_text("Other text.", encoding="utf-8")
    cached, plain = load_content(content, cache), load_content(content)
    assert [d.data for d in cached.events] == [d.data for d in plain.events]
    assert cached.source_texts == plain.source_texts
    assert cached.diagnostics == plain.diagnostics
    assert load_yaml_file(content / "site.yaml")[0].data == cached.site.data
