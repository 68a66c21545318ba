"""Incremental rebuilds: the per-file cache, the Builder, and byte-identical output after edits."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from conftest import make_site
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


# --- Builder: a sequence of edits, each compared with a clean build -------------------------------

import difflib  # noqa: E402

import pytest  # noqa: E402

from dataclasses import replace  # noqa: E402

from dateline.history import history_for  # noqa: E402
from dateline.pipeline import Builder, check_site, render_site  # noqa: E402

RAIL = "content/events/2022-01-14-rail-launch.yaml"
FIRST = "content/events/2019-first-test.yaml"


def clean_build(source: Path, drafts: bool = False) -> tuple[dict[str, bytes] | None, list]:
    """Build from nothing, as `build.py build` does; return the files and the sorted diagnostics."""
    site, report = check_site(source, drafts=drafts)
    if site is None:
        return None, report.sorted()
    site = replace(site, history=history_for(site, source / "content"))
    return render_site(site, source, report), report.sorted()


def assert_same_site(got: dict[str, bytes] | None, want: dict[str, bytes] | None, step: str) -> None:
    assert (got is None) == (want is None), f"{step}: one build failed and the other did not"
    if got is None or want is None or got == want:
        return
    assert sorted(got) == sorted(want), f"{step}: different files"
    path = next(p for p in sorted(want) if got[p] != want[p])
    diff = difflib.unified_diff(want[path].decode(errors="replace").splitlines(),
                                got[path].decode(errors="replace").splitlines(), "clean", "incremental", lineterm="")
    pytest.fail(f"{step}: {path} differs from a clean build:\n" + "\n".join(list(diff)[:60]))


SAVED: list[Path] = []  # what a watcher would have reported since the last build


def edit(source: Path, rel: str, change: str | None = None, *, old: str = "", new: str = "") -> None:
    """Write (or replace text in, or delete for None) a file, then date it back as if saved a while ago."""
    path = source / rel
    SAVED.extend([path, path.parent])
    if change is None and not old:
        path.unlink()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    text = change if change is not None else path.read_text(encoding="utf-8").replace(old, new)
    assert change is not None or text != path.read_text(encoding="utf-8"), f"{old!r} not in {rel}"
    path.write_text(text, encoding="utf-8")
    _age(path)


EDITS: list[tuple[str, Callable[[Path], None]]] = []


def step(name: str):
    def register(func):
        EDITS.append((name, func))
        return func
    return register


@step("nothing changed")
def _nothing(source: Path) -> None:
    pass


@step("an event's title")
def _title(source: Path) -> None:
    edit(source, FIRST, old="First test", new="Maiden test")


@step("an event's summary and details")
def _summary(source: Path) -> None:
    edit(source, RAIL, old="from **rail cars**", new="from *rail cars* near Uiju")
    edit(source, RAIL, old="apogee_km: 36", new="apogee_km: 42")


@step("a new event related to another")
def _new_event(source: Path) -> None:
    edit(source, "content/events/2022-01-17-airport.yaml",
         "date: 2022-01-17\ntitle: Airport launch\nsummary: Two missiles from Pyongyang airport.\n"
         "tags: [ballistic]\nrelated: [2022-01-14-rail-launch]\n")


@step("an event renamed, keeping its old id as an alias")
def _rename(source: Path) -> None:
    text = (source / "content/events/2022-01-17-airport.yaml").read_text(encoding="utf-8")
    edit(source, "content/events/2022-01-17-airport.yaml", None)
    edit(source, "content/events/2022-01-17-sunan-airport.yaml", text + "aliases: [2022-01-17-airport]\n")


@step("an event deleted")
def _delete(source: Path) -> None:
    edit(source, "content/events/2022-01-12-sanctions.yaml", None)
    edit(source, RAIL, old="related: [2022-01-12-sanctions]\n", new="")


@step("a draft published")
def _publish(source: Path) -> None:
    edit(source, "content/events/2022-01-draft.yaml", old="status: draft\n", new="")


@step("a tag renamed in tags.yaml")
def _tags(source: Path) -> None:
    edit(source, "content/tags.yaml", old="name: Ballistic missile", new="name: Ballistic missiles")


@step("a source's publisher and text")
def _source(source: Path) -> None:
    edit(source, "content/sources/wire.yaml", old="title: Wire report", new="publisher: Yonhap\ntitle: Wire report")
    edit(source, "content/sources/wire.txt", old="SEOUL:", new="SEOUL (Yonhap):")


@step("site.yaml's title and a field label")
def _site(source: Path) -> None:
    edit(source, "content/site.yaml", old="title: Mini timeline", new="title: Missile timeline")
    edit(source, "content/site.yaml", old="label: Apogee", new="label: Highest point")


@step("a template override added")
def _override(source: Path) -> None:
    edit(source, "templates/redirect.html",
         '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Moved</title>'
         '<meta http-equiv="refresh" content="0; url={{ url("events/" ~ event.id ~ "/") }}"></head>'
         "<body><p>Moved to {{ event.title }}; {{ site.events | length }} events.</p></body></html>\n")


@step("an event that the override reads through site.events")
def _read_by_override(source: Path) -> None:
    edit(source, "content/events/2022-01-30-hwasong-12.yaml",
         "date: 2022-01-30\ntitle: Hwasong-12 launch\nsummary: An intermediate-range missile.\n")


@step("the override removed")
def _override_gone(source: Path) -> None:
    edit(source, "templates/redirect.html", None)


@step("static assets added and changed")
def _static(source: Path) -> None:
    edit(source, "content/static/CNAME", "example.org\n")
    edit(source, "templates/static/dateline.css", "body { color: black }\n")


@step("a broken event")
def _broken(source: Path) -> None:
    edit(source, FIRST, old="title: Maiden", new="title: [Maiden")


@step("a broken reference")
def _broken_ref(source: Path) -> None:
    edit(source, FIRST, old="title: [Maiden", new="title: Maiden")
    edit(source, RAIL, old="tags: [rail-launch, ballistic]", new="tags: [rail, ballistic]")


@step("everything fixed")
def _fixed(source: Path) -> None:
    edit(source, RAIL, old="tags: [rail, ballistic]", new="tags: [rail-launch, ballistic]")


@pytest.mark.parametrize("told", [False, True], ids=["scanning", "told-what-changed"])
@pytest.mark.parametrize("drafts", [False, True], ids=["published", "drafts"])
def test_incremental_builds_equal_clean_builds_after_every_edit(site_dir: Path, drafts: bool, told: bool) -> None:
    builder = Builder(site_dir, drafts=drafts)
    for name, change in EDITS:
        SAVED.clear()
        change(site_dir)
        got = builder.build(list(SAVED) if told else None)
        want, diagnostics = clean_build(site_dir, drafts)
        assert got.report.sorted() == diagnostics, name
        assert_same_site(got.files, want, name)
        if got.files is not None:
            assert builder.files is got.files


def test_build_reports_only_real_changes(site_dir: Path) -> None:
    builder = Builder(site_dir)
    first = builder.build()
    assert first.files is not None and first.changed == first.files and first.removed == []
    assert builder.build().changed == {}
    _title(site_dir)
    second = builder.build()
    assert "events/2019-first-test/index.html" in second.changed
    assert "sources/wire/index.html" not in second.changed
    assert all(second.files[p] == data for p, data in second.changed.items())
    _broken(site_dir)
    failed = builder.build()
    assert failed.files is None and failed.changed == {} and builder.files is second.files
    edit(site_dir, FIRST, old="title: [Maiden", new="title: Maiden")
    again = builder.build()
    assert again.changed == {} and again.files == second.files
    edit(site_dir, "content/events/2022-01-12-sanctions.yaml", None)
    edit(site_dir, RAIL, old="related: [2022-01-12-sanctions]\n", new="")
    gone = builder.build()
    assert "events/2022-01-12-sanctions/index.html" in gone.removed


# --- Writing only what changed ---------------------------------------------------------------------

from dateline.output import OutputError, update_site, write_site  # noqa: E402


def _inodes(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("known", [False, True], ids=["compared-on-disk", "previous-given"])
def test_write_site_keeps_unchanged_files_and_swaps_atomically(tmp_path: Path, known: bool) -> None:
    out = tmp_path / "site"
    first = {"index.html": b"home", "events/a/index.html": b"a", "events/b/index.html": b"b", "x.txt": b"x"}
    write_site(first, out)
    before = _inodes(out)
    second = {"index.html": b"home!", "events/a/index.html": b"a", "x.txt": b"x", "new.txt": b"n"}
    written = write_site(second, out, previous=first if known else None)
    after = _inodes(out)
    assert written == len(b"home!") + len(b"n")
    assert {p: (out / p).read_bytes() for p in after} == second
    assert after["events/a/index.html"] == before["events/a/index.html"]  # same file, same time
    assert after["x.txt"] == before["x.txt"]
    assert after["index.html"][0] != before["index.html"][0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temporary folders left


def test_write_site_leaves_the_old_site_when_it_fails(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site({"index.html": b"home"}, out)
    with pytest.raises(OutputError):
        write_site({"index.html": b"new", "../escape.txt": b"no"}, out)
    assert (out / "index.html").read_bytes() == b"home"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_update_site_writes_changes_and_removes_emptied_folders(tmp_path: Path) -> None:
    out = tmp_path / "serve"
    out.mkdir()
    update_site(out, {"index.html": b"home", "events/a/index.html": b"a", "events/b/index.html": b"b"}, [])
    update_site(out, {"index.html": b"home!"}, ["events/a/index.html"])
    assert (out / "index.html").read_bytes() == b"home!"
    assert not (out / "events/a").exists() and (out / "events/b/index.html").read_bytes() == b"b"
    update_site(out, {}, ["events/b/index.html"])
    assert not (out / "events").exists() and out.is_dir()
    with pytest.raises(OutputError):
        update_site(out, {"../x": b""}, [])


# --- The same diagnostics as a clean check, for every broken input of the bad-input corpus ---------

from test_bad_input import CASES, Case  # noqa: E402


@pytest.mark.parametrize("bad", CASES, ids=[c.name for c in CASES])
def test_incremental_check_reports_what_a_clean_check_reports(bad: Case, tmp_path: Path) -> None:
    source = make_site(tmp_path / "s")
    builder = Builder(source)
    assert builder.build().files is not None
    make_site(source, files=bad.files)
    if bad.setup:
        bad.setup(source)
    got = builder.build()
    want, diagnostics = clean_build(source)
    assert got.report.sorted() == diagnostics
    assert got.files is None and want is None


def test_told_changes_reread_only_those_files(site_dir: Path) -> None:
    builder = Builder(site_dir)
    builder.build()
    event = site_dir / FIRST
    event.write_text(event.read_text(encoding="utf-8").replace("First test", "Maiden test"), encoding="utf-8")
    # Not told about it: the told build keeps the old title; a scanning build sees it.
    assert b"Maiden test" not in builder.build([site_dir / "content/site.yaml"]).site.by_id["2019-first-test"].title.encode()
    assert builder.build([event]).site.by_id["2019-first-test"].title.startswith("Maiden test")
    gone = site_dir / "content/events/vim-swap-4913"
    gone.write_text("x", encoding="utf-8")
    gone.unlink()
    assert builder.build([gone, gone.parent]).changed == {}
