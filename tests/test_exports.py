"""Feeds, data files, indexes and the sitemap, read back by the parsers their users have."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from pathlib import Path

import feedparser
import icalendar
import jsonschema
import pytest

from conftest import REPO, make_site
from dateline.pipeline import check_site, render_site

SCHEMA = json.loads((REPO / "schema" / "events-export.schema.json").read_text(encoding="utf-8"))
HOSTILE = """\
date: 2022-01-20
title: "=HYPERLINK(\\"https://evil.example\\", \\"click\\"); a title, with commas; semicolons \\\\ and a very long tail — ünïcödé 🚀 to force folding at seventy-five octets"
summary: |
  +1 is how this summary starts, with a [link](https://example.org/a?b=c&d=e).

  A second paragraph.
tags: [ballistic]
details:
  missile_type: cruise
  count: 3
location:
  name: "@Somewhere, near the coast"
  lat: 38.5
  lon: -77.25
"""


def render(root: Path) -> dict[str, bytes]:
    site, report = check_site(root)
    assert site is not None and not report.errors, report.sorted()
    files = render_site(site, root, report)
    assert files is not None, report.sorted()
    return files


@pytest.fixture(scope="module")
def example() -> dict[str, bytes]:
    return render(REPO)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    root = make_site(tmp_path_factory.mktemp("hostile"), files={"content/events/2022-01-20-hostile.yaml": HOSTILE})
    site_yaml = root / "content/site.yaml"
    site_yaml.write_text(site_yaml.read_text() + "options:\n  feed_size: 2\n", encoding="utf-8")
    return render(root)


def events_of(files: dict[str, bytes]) -> list[dict]:
    return json.loads(files["data/events.json"])["events"]


# --- feeds ------------------------------------------------------------------------


def test_atom_feed_parses_without_errors_newest_first(example):
    feed = feedparser.parse(example["feed.xml"])
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    events = events_of(example)
    assert len(feed.entries) == min(50, len(events))
    assert [e.id for e in feed.entries] == [e["url"] for e in reversed(events)][:len(feed.entries)]
    for entry in feed.entries:
        assert entry.link == entry.id and entry.id.startswith("https://example.org/nk-missiles/events/")
        assert entry.updated_parsed and entry.published_parsed and entry.summary and entry.content[0].value
    assert feed.feed.title and feed.feed.updated_parsed
    assert any(link.rel == "self" and link.href.endswith("/feed.xml") for link in feed.feed.links)


def test_json_feed_follows_version_1_1(example):
    feed = json.loads(example["feed.json"])
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == "https://example.org/nk-missiles/feed.json"
    assert feed["home_page_url"] == "https://example.org/nk-missiles/"
    assert feed["items"] and len({i["id"] for i in feed["items"]}) == len(feed["items"])
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
    for item in feed["items"]:
        assert item["url"] == item["id"] and item["title"] and item["content_html"]
        assert stamp.match(item["date_published"]) and stamp.match(item["date_modified"])
        assert item["date_modified"] >= item["date_published"]
    # feedparser 6.0 reads no JSON Feed: check the spec's required members and types instead.
    assert isinstance(feed["title"], str) and isinstance(feed["authors"], list)
    assert all(isinstance(i["id"], str) and isinstance(i.get("tags", []), list) for i in feed["items"])
    assert [i["id"] for i in feed["items"]] == [e.id for e in feedparser.parse(example["feed.xml"]).entries]


def test_feed_size_option_limits_both_feeds(hostile):
    assert len(feedparser.parse(hostile["feed.xml"]).entries) == 2
    assert len(json.loads(hostile["feed.json"])["items"]) == 2


def test_every_page_links_both_feeds_from_its_head(example):
    pages = [p for p in example if p.endswith(".html")]
    for path in pages:
        head = example[path].split(b"</head>", 1)[0]
        if b'http-equiv="refresh"' in head:
            continue  # redirect pages only send the reader on
        assert b'type="application/atom+xml"' in head and b'href="/nk-missiles/feed.xml"' in head, path
        assert b'type="application/feed+json"' in head and b'href="/nk-missiles/feed.json"' in head, path


def test_feed_text_is_escaped(hostile):
    feed = feedparser.parse(hostile["feed.xml"])
    assert not feed.bozo
    titles = [e.title for e in feed.entries]
    assert any(t.startswith('=HYPERLINK("https://evil.example"') for t in titles)


# --- events.json --------------------------------------------------------------------


@pytest.mark.parametrize("which", ["example", "hostile"])
def test_events_json_matches_the_committed_schema(which, request):
    files = request.getfixturevalue(which)
    doc = json.loads(files["data/events.json"])
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    errors = sorted(jsonschema.Draft7Validator(SCHEMA).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert doc["schema_version"] == 1
    assert json.loads(files["data/events.schema.json"]) == SCHEMA, "the published schema is the committed one"


def test_events_json_lists_every_event_with_its_fields(example):
    events = events_of(example)
    pages = {p.split("/")[1] for p in example if p.startswith("events/") and b"refresh" not in example[p][:600]}
    assert {e["id"] for e in events} == pages
    rail = next(e for e in events if e["id"] == "2022-01-14-rail-launch")
    assert rail["date"] == "2022-01-14T14:41+09:00" and rail["precision"] == "time"
    assert rail["start"] == "2022-01-14T05:41:00Z"
    assert rail["details"]["launch_platform"] == "rail car"
    assert rail["quotes"] and all(q["verified"] is True for q in rail["quotes"])
    assert "2022-01-14-train-launch" in rail["aliases"]


# --- events.csv ---------------------------------------------------------------------------


def read_csv(files: dict[str, bytes]) -> list[dict[str, str]]:
    data = files["data/events.csv"]
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark, for spreadsheets"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_has_one_row_per_event_and_a_column_per_field(example):
    rows = read_csv(example)
    events = events_of(example)
    assert [r["id"] for r in rows] == [e["id"] for e in events]
    fields = [f["id"] for f in json.loads(example["data/events.json"])["fields"]]
    assert set(fields) <= set(rows[0])
    rail = next(r for r in rows if r["id"] == "2022-01-14-rail-launch")
    assert rail["launch_platform"] == "rail car" and rail["count"] == "2" and rail["range_km"] == "430"
    assert "rail-launch" in rail["tags"].split("; ")
    assert b"\r\n" in example["data/events.csv"]


def test_csv_neutralises_formulas_but_not_numbers(hostile):
    rows = read_csv(hostile)
    row = next(r for r in rows if r["id"] == "2022-01-20-hostile")
    assert row["title"].startswith("'=HYPERLINK(")
    assert row["summary"].startswith("'+1 is how")
    assert row["location_name"] == "'@Somewhere, near the coast"
    assert row["longitude"] == "-77.25", "a negative number is data, not a formula"
    dangerous = [(r["id"], k, v) for r in rows for k, v in r.items() if v[:1] in ("=", "+", "@", "\t", "\r")]
    assert not dangerous
    minus = [(k, v) for r in rows for k, v in r.items() if v.startswith("-") and not re.fullmatch(r"-\d+(\.\d+)?", v)]
    assert not minus


# --- events.ics ---------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["example", "hostile"])
def test_calendar_parses_with_every_event(which, request):
    files = request.getfixturevalue(which)
    data = files["data/events.ics"]
    calendar = icalendar.Calendar.from_ical(data)
    vevents = calendar.walk("VEVENT")
    events = events_of(files)
    assert [str(v["UID"]).split("@")[0] for v in vevents] == [e["id"] for e in events]
    assert len({str(v["UID"]) for v in vevents}) == len(vevents)
    for vevent, event in zip(vevents, events):
        start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
        if event["precision"] == "time":
            assert isinstance(start, datetime) and start.utcoffset().total_seconds() == 0
        else:
            assert type(start) is date and type(end) is date
        assert end > start
        assert str(vevent["URL"]) == event["url"]
        assert isinstance(vevent.decoded("DTSTAMP"), datetime)
    lines = data.split(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"") and data.endswith(b"END:VCALENDAR\r\n")
    assert max(len(line) for line in lines) <= 75
    assert lines[-1] == b""


def test_calendar_periods_follow_date_precision(example):
    calendar = icalendar.Calendar.from_ical(example["data/events.ics"])
    by_id = {str(v["UID"]).split("@")[0]: v for v in calendar.walk("VEVENT")}
    year = by_id["2019-iskander-like-missile-first-tested"]
    assert (year.decoded("DTSTART"), year.decoded("DTEND")) == (date(2019, 1, 1), date(2020, 1, 1))
    month = by_id["2022-01-launches"]
    assert (month.decoded("DTSTART"), month.decoded("DTEND")) == (date(2022, 1, 1), date(2022, 2, 1))
    day = by_id["2022-01-12-us-sanctions"]
    assert (day.decoded("DTSTART"), day.decoded("DTEND")) == (date(2022, 1, 12), date(2022, 1, 13))
    rail = by_id["2022-01-14-rail-launch"]
    assert rail.decoded("DTSTART").isoformat() == "2022-01-14T05:41:00+00:00"


def test_calendar_text_is_escaped_and_unfolds_intact(hostile):
    calendar = icalendar.Calendar.from_ical(hostile["data/events.ics"])
    vevent = next(v for v in calendar.walk("VEVENT") if str(v["UID"]).startswith("2022-01-20-hostile@"))
    summary = str(vevent["SUMMARY"])
    assert summary.startswith('=HYPERLINK("https://evil.example", "click"); a title, with commas; semicolons \\ and')
    assert summary.endswith("ünïcödé 🚀 to force folding at seventy-five octets")
    assert str(vevent["LOCATION"]) == "@Somewhere, near the coast"
    assert "A second paragraph." in str(vevent["DESCRIPTION"])


def test_outputs_are_byte_identical_across_builds(example):
    again = render(REPO)
    assert again.keys() == example.keys()
    assert [p for p in example if example[p] != again[p]] == []


# --- TimelineJS -------------------------------------------------------------------------------


def test_timelinejs_has_a_title_slide_and_every_event(example):
    doc = json.loads(example["data/timelinejs.json"])
    assert doc["title"]["text"]["headline"]
    events = events_of(example)
    assert [s["unique_id"] for s in doc["events"]] == [e["id"] for e in events]
    for slide, event in zip(doc["events"], events):
        start = slide["start_date"]
        assert isinstance(start["year"], int) and set(start) <= {"year", "month", "day", "hour", "minute"}
        assert slide["text"]["headline"] and event["url"] in slide["text"]["text"]
        assert slide["display_date"] == event["display_date"]
    rail = next(s for s in doc["events"] if s["unique_id"] == "2022-01-14-rail-launch")
    assert rail["start_date"] == {"year": 2022, "month": 1, "day": 14, "hour": 14, "minute": 41}
    assert rail["group"] == "Rail launch"


# --- browser indexes ----------------------------------------------------------------------------


def test_filter_and_search_indexes_cover_every_event(example):
    events = events_of(example)
    index = json.loads(example["data/index.json"])
    search = json.loads(example["data/search.json"])
    assert [row[0] for row in index["events"]] == [e["id"] for e in events]
    assert [row[0] for row in search["events"]] == [e["id"] for e in events]
    assert index["fields"] == ["missile_type", "launch_platform", "outcome"]
    text = dict(search["events"])["2022-01-14-rail-launch"]
    assert "hadn’t been previously planned" in text and "Cheong Seong-Chang" in text
    assert "Wire report: North Korea says it test-launched missiles from a train" in text


# --- sitemap and robots -------------------------------------------------------------------------


def test_sitemap_lists_every_page_but_redirects_and_404(example):
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ET.fromstring(example["sitemap.xml"])
    listed = {loc.text for loc in root.findall("s:url/s:loc", ns)}
    pages = {"https://example.org/nk-missiles/" + p[: -len("index.html")] for p in example
             if p.endswith("index.html") and b'http-equiv="refresh"' not in example[p][:2000]}
    assert listed == pages
    assert "https://example.org/nk-missiles/data/" in listed
    assert b"Sitemap: https://example.org/nk-missiles/sitemap.xml" in example["robots.txt"]
