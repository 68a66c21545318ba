"""Validation rules and the wording of their messages, tested without a disk where possible."""

from __future__ import annotations

import pytest

from dateline import schema
from dateline.diagnostics import Report
from dateline.load import Document, RawContent, parse_yaml
from dateline.validate import validate_content, validate_event

SITE = "title: T\nbase_url: https://example.org/\nfields:\n  count: {type: integer}\n"


def parsed(text: str, file: str) -> Document:
    doc, problem = parse_yaml(text, file)
    assert problem is None, problem
    return doc


def raw_site(events: dict[str, str], tags: str = "a: {name: A}\n", sources: dict[str, str] | None = None
             ) -> RawContent:
    raw = RawContent(root=None)  # type: ignore[arg-type]
    raw.site = parsed(SITE, "content/site.yaml")
    raw.tags = parsed(tags, "content/tags.yaml")
    raw.events = [parsed(text, f"content/events/{name}.yaml") for name, text in events.items()]
    raw.sources = [parsed(text, f"content/sources/{name}.yaml") for name, text in (sources or {}).items()]
    return raw


def codes(report: Report) -> list[tuple[str, int, str]]:
    return sorted((d.file.rsplit("/", 1)[-1], d.line, d.code) for d in report.errors)


@pytest.mark.parametrize("value, words, suggestion", [
    ("Rail-Launch", "capital letters", "rail-launch"),
    ("rail launch", "spaces", "rail-launch"),
    ("r\u0430il", "U+0430 CYRILLIC SMALL LETTER A", "rail"),
    ("\u0436uk", "U+0436 CYRILLIC SMALL LETTER ZHE", ""),  # no Latin look-alike: no guess
    ("../etc/passwd", "path", "etc-passwd"),
    ("a\\b", "path", "a-b"),
    ("rail_launch", "contains '_'", "rail-launch"),
    ("-rail", "starts or ends with '-'", "rail"),
    ("", "empty", ""),
    ("x" * 101, "101 characters", "x" * 100),
    ("caf\u00e9", "U+00E9", "cafe"),
    ("2022\u20130114", "EN DASH", "2022-0114"),
])
def test_explain_id(value: str, words: str, suggestion: str) -> None:
    message, hint = schema.explain_id(value)
    assert words in message
    assert schema.suggest_id(value) == suggestion
    if suggestion:
        assert hint.endswith(f"'{suggestion}'")


def test_valid_ids_pass_and_suggestions_are_valid() -> None:
    for good in ("a", "2022-01-14-rail-launch", "x" * 100):
        assert schema.ID_RE.match(good)
    for bad in ("A", "a-", "a b", "a\n", "a/b", "..", "\u0430", "a" * 101, "a.b"):
        assert not schema.ID_RE.match(bad), bad
        assert schema.suggest_id(bad) == "" or schema.ID_RE.match(schema.suggest_id(bad))


def test_did_you_mean_ignores_case() -> None:
    assert schema.did_you_mean("Titel", ["title", "summary"]) == "did you mean 'title'?"
    assert schema.did_you_mean("zzz", ["title"]) == ""


def test_event_with_bad_values_still_has_its_references_checked() -> None:
    raw = raw_site({"e": "date: 2022-02-30\ntitle: ''\nsummary: s\ntags: [b]\nrelated: [nope]\n"})
    site, report = validate_content(raw)
    assert site is None
    assert codes(report) == [("e.yaml", 1, "impossible-date"), ("e.yaml", 2, "missing-field"),
                             ("e.yaml", 4, "unknown-tag"), ("e.yaml", 5, "unknown-event")]


def test_references_to_broken_files_are_not_reported_twice() -> None:
    raw = raw_site({"e": "date: 2022\ntitle: T\nsummary: s\nrelated: [f, g]\nsources: [s]\n",
                    "f": "- a list\n"}, sources={"s": "title: [x]\n"})
    raw.broken["events"].add("g")  # g.yaml exists but could not be parsed
    _site, report = validate_content(raw)
    assert codes(report) == [("f.yaml", 1, "not-mapping"), ("s.yaml", 1, "wrong-type")]


def test_a_broken_tag_is_not_reported_again_where_used() -> None:
    raw = raw_site({"e": "date: 2022\ntitle: T\nsummary: s\ntags: [a, b]\n"}, tags="a: {name: A}\nb: B\n")
    _site, report = validate_content(raw)
    assert codes(report) == [("tags.yaml", 2, "wrong-type")]


def test_text_keeps_what_yaml_read_as_a_number() -> None:
    report = Report()
    event = validate_event(parsed("date: 2022\ntitle: 1.10\nsummary: 0012\n", "content/events/e.yaml"), None,
                           report)
    assert not report.items
    assert (event.title, event.summary, event.date.iso) == ("1.10", "0012", "2022")


@pytest.mark.parametrize("text, hint", [
    ("title: yes", "put the value in quotes"),
    ("count: 2", "put it under details:"),
    ("speaker: KCNA", "belongs to each quote"),
    ("lat: 39.0", "belongs under location:"),
    ("id: other", "file name"),
    ("Title: x", "did you mean 'title'?"),
])
def test_hints_for_common_mistakes(text: str, hint: str) -> None:
    head = "date: 2022\nsummary: s\n" + ("" if text.startswith("title") else "title: T\n")
    raw = raw_site({"e": head + text + "\n"})
    _site, report = validate_content(raw)
    assert report.errors, report.items
    assert any(hint in d.hint for d in report.errors), report.errors


def test_field_values_of_the_wrong_type_are_dropped_not_enforced() -> None:
    raw = raw_site({"e": "date: 2022\ntitle: T\nsummary: s\ndetails: {count: 2}\n"})
    raw.site = parsed(SITE.replace("{type: integer}", "{type: integer, values: [two, 2]}"), "content/site.yaml")
    _site, report = validate_content(raw)
    assert codes(report) == [("site.yaml", 4, "wrong-type")]
