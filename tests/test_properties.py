"""Property-based tests: no input makes load or validate raise, and valid events always build and
round-trip through /data/events.json."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from dateline.dates import parse_date
from dateline.diagnostics import Diagnostic
from dateline.load import Document, RawContent, load_content, parse_yaml, read_text
from dateline.pipeline import render_site
from dateline.validate import validate_content

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MINI = FIXTURES / "mini"
EVENT_FILE = "content/events/2022-01-12-generated.yaml"
YAML_CHARS = ":-[]{}&*!|>'\"#%@`,?~\t\n\r \\/.0123456789abcdeTfyn\u00e9\u2028\ufeff\x00\x85"


@pytest.fixture(scope="module")
def mini() -> RawContent:
    """The mini fixture site, loaded once; tests add or replace event documents in copies of it."""
    return load_content(MINI / "content")


def with_event(mini: RawContent, doc: Document | None, problem: Diagnostic | None) -> RawContent:
    raw = RawContent(mini.root, mini.site, mini.tags, list(mini.events), list(mini.sources),
                     dict(mini.source_texts), list(mini.diagnostics))
    if doc is not None:
        raw.events.append(doc)
    if problem is not None:
        raw.diagnostics.append(problem)
        raw.broken["events"].add("2022-01-12-generated")
    return raw


def check_never_raises(mini: RawContent, text: str) -> None:
    doc, problem = parse_yaml(text, EVENT_FILE)
    assert (doc is None) != (problem is None)
    if problem is not None:
        assert problem.code and problem.line >= 1 and problem.column >= 1 and problem.severity == "error"
    site, report = validate_content(with_event(mini, doc, problem))
    for item in report.items:
        assert isinstance(item, Diagnostic) and item.line >= 1 and item.column >= 1
    assert (site is None) == bool(report.errors)


# --- Arbitrary and mutated input never raises ----------------------------------------------------------

@SETTINGS
@given(st.text(alphabet=st.sampled_from(YAML_CHARS), max_size=200) | st.text(max_size=200))
def test_any_text_gives_diagnostics_not_exceptions(mini: RawContent, text: str) -> None:
    check_never_raises(mini, text)


SEEDS = [p.read_text(encoding="utf-8") for p in sorted((MINI / "content/events").glob("*.yaml"))]


@st.composite
def mutated(draw) -> str:
    """A real event file with a few edits of the kinds editors make: cut, paste, retype, re-indent."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        lines = text.split("\n")
        kind = draw(st.sampled_from(["insert", "delete", "replace", "indent", "dup-line", "swap-lines"]))
        at = draw(st.integers(0, max(0, len(text) - 1)))
        if kind == "insert":
            text = text[:at] + draw(st.text(st.sampled_from(YAML_CHARS), min_size=1, max_size=5)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 10)):]
        elif kind == "replace":
            text = text[:at] + draw(st.sampled_from(YAML_CHARS)) + text[at + 1:]
        else:
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if kind == "indent":
                lines[i] = draw(st.sampled_from([" ", "  ", "\t", "    "])) + lines[i]
            elif kind == "dup-line":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


@SETTINGS
@given(mutated())
def test_mutated_event_files_give_diagnostics_not_exceptions(mini: RawContent, text: str) -> None:
    check_never_raises(mini, text)


SCALARS = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
           | st.sampled_from(["2022-01-14", "2022-13", "0000", "2022-01-14T14:41+09:00", "yes", "~", "wire",
                              "rail-launch", "2022-01-14-rail-launch", "../x", "Rail", "https://x.org/", "javascript:x"]))
KEYS = st.sampled_from(["date", "end_date", "circa", "title", "summary", "tags", "details", "location", "quotes",
                        "sources", "related", "status", "updates", "aliases", "text", "source", "speaker", "note",
                        "name", "lat", "lon", "count", "missile_type", "apogee_km", "tittle"]) | st.text(max_size=8)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
                      max_leaves=20)


@SETTINGS
@given(st.dictionaries(KEYS, VALUES, max_size=10) | VALUES)
def test_any_data_shape_gives_diagnostics_not_exceptions(mini: RawContent, data) -> None:
    try:
        text = yaml.safe_dump(data, allow_unicode=True)
    except yaml.YAMLError:
        assume(False)
    check_never_raises(mini, text)


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes_are_read_or_refused(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.getbasetemp() / "bytes.yaml"
    path.write_bytes(data)
    text, problem = read_text(path, "bytes.yaml")
    assert (text is None) != (problem is None)
    if text is not None:
        assert "\r\n" not in text and not text.startswith("\ufeff")
        parse_yaml(text, "bytes.yaml")


# --- Valid events always build and round-trip through the JSON export --------------------------------

WORD = st.text(alphabet=string.ascii_letters + string.digits + "àéöß中文—–“”‘’'\"&<>*_`[]()#!?.,;:/\\@%$+=|~^",
               min_size=1, max_size=12)
TEXT = st.lists(WORD, min_size=1, max_size=8).map(" ".join)


@st.composite
def dates(draw) -> str:
    year = draw(st.integers(1, 9999))
    form = draw(st.sampled_from(["year", "month", "day", "time"]))
    if form == "year":
        return f"{year:04d}"
    month = draw(st.integers(1, 12))
    if form == "month":
        return f"{year:04d}-{month:02d}"
    day = draw(st.integers(1, 28))
    if form == "day":
        return f"{year:04d}-{month:02d}-{day:02d}"
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    offset = draw(st.sampled_from(["Z", "+09:00", "-05:00", "+05:45", "+14:00", "-12:00"]))
    assume(not (year == 1 and month == 1 and day == 1 and offset.startswith("+")))
    assume(not (year == 9999 and month == 12 and day == 28 and offset.startswith("-")))
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}{offset}"


@st.composite
def events(draw) -> dict:
    event = {"date": draw(dates()), "title": draw(TEXT), "summary": draw(TEXT)}
    if draw(st.booleans()):
        event["tags"] = draw(st.lists(st.sampled_from(["rail-launch", "ballistic", "sanctions"]), unique=True))
    if draw(st.booleans()):
        event["circa"] = draw(st.booleans())
    if draw(st.booleans()):
        event["details"] = {"count": draw(st.integers(0, 2 ** 53)),
                            "missile_type": draw(st.sampled_from(["SRBM", "cruise"])),
                            "apogee_km": draw(st.floats(-1e6, 1e6, allow_nan=False) | st.integers(0, 10 ** 6))}
    if draw(st.booleans()):
        event["location"] = {"name": draw(TEXT), "lat": draw(st.floats(-90, 90)), "lon": draw(st.floats(-180, 180))}
    if draw(st.booleans()):
        event["sources"] = ["treasury"]
    if draw(st.booleans()):
        event["related"] = ["2022-01-14-rail-launch"]
    if draw(st.booleans()):
        event["updates"] = [{"date": draw(dates()), "note": draw(TEXT)}]
    return event


@pytest.fixture(scope="module")
def empty_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A source folder with no templates or static files of its own: the defaults render."""
    return tmp_path_factory.mktemp("source")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events(), min_size=1, max_size=4))
def test_valid_events_build_and_round_trip_through_json(mini: RawContent, empty_source: Path,
                                                        generated: list[dict]) -> None:
    raw = with_event(mini, None, None)
    for i, event in enumerate(generated):
        text = yaml.safe_dump(event, allow_unicode=True, sort_keys=False)
        doc, problem = parse_yaml(text, f"content/events/generated-{i}.yaml")
        assert problem is None, (problem, text)
        raw.events.append(doc)
    site, report = validate_content(raw)
    assert site is not None, [d.format_text() for d in report.errors]
    files = render_site(site, empty_source, report)
    assert files is not None, [d.format_text() for d in report.errors]
    for i, event in enumerate(generated):
        assert f"events/generated-{i}/index.html" in files
    exported = {e["id"]: e for e in json.loads(files["data/events.json"])["events"]}
    for i, event in enumerate(generated):
        record = exported[f"generated-{i}"]
        assert record["title"] == " ".join(event["title"].split())
        assert record["summary"] == event["summary"].strip()
        assert record["date"] == parse_date(event["date"]).iso  # canonical form: Z is written +00:00
        assert record["tags"] == event.get("tags", [])
        assert record["circa"] == event.get("circa", False)
        assert record["details"] == event.get("details", {})
        if "location" in event:
            assert record["location"] == event["location"]
        assert [u["note"] for u in record["updates"]] == [u["note"] for u in event.get("updates", [])]
