"""`build.py import timelinejs FILE`: TimelineJS JSON and Google Sheets CSV into event files, and back."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from conftest import REPO, make_site, run_cli, snapshot
from dateline.importers.html_markdown import html_to_markdown, html_to_text
from dateline.markup import MarkdownRenderer
from dateline.pipeline import check_site

MD = MarkdownRenderer()


def empty_site(root: Path, like: Path) -> Path:
    """A site with the settings and tags of `like` and no events or sources."""
    (root / "content").mkdir(parents=True)
    for name in ("site.yaml", "tags.yaml"):
        shutil.copy(like / "content" / name, root / "content" / name)
    return root


def imported(site: Path, file: Path, *extra: str):
    return run_cli("import", "timelinejs", str(file), "--source", str(site), *extra)


@pytest.mark.parametrize("original", ["mini", "example"])
def test_dateline_export_imports_back_to_the_same_events(tmp_path: Path, original: str) -> None:
    source = make_site(tmp_path / "a") if original == "mini" else REPO
    built = run_cli("build", "--source", str(source), "--out", str(tmp_path / "out"))
    assert built.returncode == 0, built.stderr
    export = tmp_path / "out/data/timelinejs.json"
    assert export.is_file()
    target = empty_site(tmp_path / "b", source)
    result = imported(target, export)
    assert result.returncode == 0, result.stderr
    before, report = check_site(source)
    after, report = check_site(target)
    assert after is not None, [d.format_text() for d in report.items]
    assert [e.id for e in after.events] == [e.id for e in before.events]
    for old in before.events:
        new = after.by_id[old.id]
        assert (new.title, new.date, new.end_date, new.circa) == (old.title, old.date, old.end_date, old.circa)
        assert new.tags == old.tags[:1], "TimelineJS keeps one group per slide: the first tag"
        assert MD.render(new.summary).split() == MD.render(old.summary).split(), old.id
        assert not new.quotes and not new.sources, "quotes and sources are not in the TimelineJS format"
    assert after.tags == before.tags, "groups matched the site's tags by name; none was added"


SHEET = [
    ["Year", "Month", "Day", "Time", "End Year", "End Month", "End Day", "End Time", "Display Date", "Headline",
     "Text", "Media", "Media Credit", "Media Caption", "Media Thumbnail", "Alt Text", "Type", "Group", "Background"],
    # row 2: the title slide
    ["", "", "", "", "", "", "", "", "", "Missile launches", "<p>A timeline.</p>", "", "", "", "", "", "title", "", ""],
    # row 3: a launch at 2:41 PM local time, in an existing tag's group (matched by name)
    ["2022", "1", "14", "2:41 PM", "", "", "", "", "", "Two missiles fired from <i>rail cars</i>",
     "<p>Fired from <b>rail cars</b> near Uiju.</p><p>Second paragraph.</p>", "", "", "", "", "", "",
     "Rail-launched", ""],
    ["20x2", "1", "17", "", "", "", "", "", "", "Bad year", "", "", "", "", "", "", "", "", ""],  # row 4
    ["2022", "13", "1", "", "", "", "", "", "", "Bad month", "", "", "", "", "", "", "", "", ""],  # row 5
    ["2022", "1", "20", "", "", "", "", "", "", "", "No headline", "", "", "", "", "", "", "", ""],  # row 6
    [],  # row 7: blank
    ["2022", "1", "1", "", "2022", "1", "31", "", "", "January tests", "", "", "", "", "", "", "era", "", ""],  # 8
    # row 9: a multi-line cell, a picture (not imported) and an approximate date
    ["2022", "1", "", "", "", "", "", "", "c. January 2022", "Drills near the coast",
     "<p>Line one,\nline two.</p>", "https://example.org/pic.jpg", "", "", "", "", "", "New group", ""],
    ["2022", "1", "30", "", "2022", "1", "2", "", "", "Ends before it starts", "", "", "", "", "", "", "", "",
     ""],  # row 10
    ["-500", "", "", "", "", "", "", "", "", "Antiquity", "", "", "", "", "", "", "", "", ""],  # row 11
    ["2022", "1", "25", "25:10", "", "", "", "", "", "Bad hour", "", "", "", "", "", "", "", "", ""],  # row 12
    ["2022", "1", "25", "", "", "", "", "", "", "A slide", "", "", "", "", "", "", "chart", "", ""],  # row 13
    ["2019", "", "", "", "", "", "", "", "", "First test", "", "", "", "", "", "", "", "", ""],  # row 14: exists
]


def write_sheet(path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_sheet_rows_are_converted_or_reported_by_row_number(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s")
    sheet = write_sheet(tmp_path / "sheet.csv", SHEET)
    result = imported(site, sheet)
    assert result.returncode == 1
    shown = str(sheet)
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert [line.split(": error: ")[0] for line in errors] == [
        f"{shown} row {n}" for n in (4, 5, 6, 10, 11, 12, 13)]
    messages = dict(line.split(": error: ", 1) for line in errors)
    assert messages[f"{shown} row 4"] == "'Bad year': year '20x2' is not a number"
    assert "there is no month 13" in messages[f"{shown} row 5"]
    assert messages[f"{shown} row 6"] == "there is no Headline; an event needs a title"
    assert "end date 2022-01-02 is before the start 2022-01-30" in messages[f"{shown} row 10"]
    assert "year -500 is outside 1-9999" in messages[f"{shown} row 11"]
    assert "there is no hour 25" in messages[f"{shown} row 12"]
    assert "Type 'chart'" in messages[f"{shown} row 13"]
    assert f"{shown} row 9: note: Media not imported" in result.stderr
    assert "imported 3 events and 2 new tags" in result.stderr

    events = site / "content/events"
    launch = (events / "2022-01-14-two-missiles-fired-from-rail-cars.yaml").read_text()
    assert launch == (
        "date: 2022-01-14T14:41+09:00\n"
        "title: Two missiles fired from rail cars\n"
        "summary: |\n  Fired from **rail cars** near Uiju.\n\n  Second paragraph.\n"
        "tags: [rail-launch, january-tests]\n")
    drills = (events / "2022-01-drills-near-the-coast.yaml").read_text()
    assert "circa: true\n" in drills and "tags: [new-group, january-tests]" in drills
    assert "summary: Line one, line two.\n" in drills
    assert (events / "2019-first-test-2.yaml").is_file(), "a taken id gets a free one"
    tags = (site / "content/tags.yaml").read_text()
    assert tags.endswith("january-tests:\n  name: January tests\n  group: era\nnew-group:\n  name: New group\n")
    checked = run_cli("check", "--source", str(site))
    assert checked.returncode == 0, checked.stderr


KNIGHT_LAB = {
    "title": {"text": {"headline": "Whitney Houston", "text": "<p>1963 - 2012</p>"}},
    "eras": [{"start_date": {"year": "1980"}, "end_date": {"year": "1989"}, "text": {"headline": "The 80s"}}],
    "events": [
        {"start_date": {"year": "1985", "month": "2", "day": "14"},
         "media": {"url": "https://youtu.be/x", "caption": "Video"},
         "text": {"headline": "Debut <b>album</b>", "text": "<p>Released &amp; <a href='https://example.org'>praised</a>.</p>"},
         "unique_id": "Slide One", "group": "Music"},
        {"start_date": {"year": 1992, "month": 11, "day": 25, "hour": 9, "minute": 5},
         "end_date": {"year": 1992, "month": 12}, "text": {"headline": "Film"}, "unique_id": "film-1992"},
        {"start_date": {"year": 2012, "month": 2, "day": 30}, "text": {"headline": "Impossible"}},
    ],
}


def test_timelinejs_json_with_eras_groups_and_ids(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s")
    path = tmp_path / "timeline.json"
    path.write_text(json.dumps(KNIGHT_LAB))
    result = imported(site, path, "--timezone", "America/New_York")
    assert result.returncode == 1
    assert f"{path} event 3: error: 'Impossible': " in result.stderr and "February 2012 has 29 days" in result.stderr
    assert f"{path} event 1 (Slide One): note: media not imported" in result.stderr
    debut = (site / "content/events/1985-02-14-debut-album.yaml").read_text()
    assert "title: Debut album\n" in debut
    assert "summary: Released & [praised](https://example.org).\n" in debut
    assert "tags: [music, the-80s]\n" in debut
    film = (site / "content/events/film-1992.yaml").read_text()
    assert film.startswith("date: 1992-11-25T09:05-05:00\nend_date: 1992-12\n")
    assert "Whitney Houston" not in "".join(p.read_text() for p in (site / "content/events").iterdir())
    assert run_cli("check", "--source", str(site)).returncode == 0


def test_existing_files_are_never_overwritten_and_dry_run_writes_nothing(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s")
    path = tmp_path / "timeline.json"
    path.write_text(json.dumps({"events": [{"start_date": {"year": 2022, "month": 1, "day": 12},
                                            "text": {"headline": "Other"}, "unique_id": "2022-01-12-sanctions"}]}))
    before = snapshot(site)
    result = imported(site, path)
    assert result.returncode == 1
    assert "2022-01-12-sanctions.yaml already exists (or is an alias); it was not overwritten" in result.stderr
    assert snapshot(site) == before
    sheet = write_sheet(tmp_path / "sheet.csv", SHEET[:4])
    dry = imported(site, sheet, "--dry-run")
    assert "would import 1 events" in dry.stderr
    assert snapshot(site) == before


@pytest.mark.parametrize("text,message", [
    ('{"title": {}}', "no \"events\" list"),
    ('{"events": [], "scale": "cosmological"}', "cosmological"),
    ('{"events": [', "not valid JSON"),
    ("Date,Title\n2022,x\n", "row 1 has no Year or Headline column"),
])
def test_unreadable_files_are_usage_errors(tmp_path: Path, text: str, message: str) -> None:
    site = make_site(tmp_path / "s")
    path = tmp_path / "in.json"
    path.write_text(text)
    result = imported(site, path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("markdown", [
    "Plain text with **bold**, *emphasis* and `code`.",
    "A [link](https://example.org/a?b=1&c=2) and 3*4 and snake_case and [brackets].",
    "First paragraph.\n\nSecond paragraph.",
    "- one\n- two **2**\n\n1. first\n2. second",
    "> quoted\n>\n> more\n\nafter",
    "Hard  \nbreak",
])
def test_html_to_markdown_round_trips_the_sites_markdown(markdown: str) -> None:
    html = MD.render(markdown)
    assert MD.render(html_to_markdown(html)).split() == html.split()


def test_text_that_looks_like_markdown_stays_text() -> None:
    html = "<p># not a heading</p>\n<p>1986. A year at the start</p>\n<p>- not a list &gt; nor a quote</p>"
    assert MD.render(html_to_markdown(html)).split() == html.split()


def test_headline_html_becomes_text() -> None:
    assert html_to_text("<b>Debut</b> &amp; <i>more</i>\n") == "Debut & more"
