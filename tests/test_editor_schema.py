"""The editors' JSON Schemas: current, valid draft-07, and in agreement with the validator."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator

from conftest import FIXTURES, REPO, make_site, run_cli
from dateline.dates import DateError, parse_date
from dateline.diagnostics import Report
from dateline.editor_schema import DATE_PATTERN, read_site_fields, render_schemas
from dateline.load import load_yaml_file, parse_yaml
from dateline.pipeline import check_site

SITES = [REPO] + sorted(p for p in FIXTURES.iterdir() if (p / "content/site.yaml").is_file())
# Problems a schema can see; the rest (dates that do not exist, references, quotes) need `check`.
STRUCTURAL = {"missing-field", "unknown-key", "wrong-type", "bad-id", "bad-value", "bad-url", "unknown-field",
              "empty-file", "not-mapping"}


def schemas_for(site: Path) -> dict[str, Draft7Validator]:
    """Return a validator per kind of content file, with the event schema built from the site's fields."""
    report = Report()
    fields = read_site_fields(site / "content", report)
    assert fields is not None, report.items
    return {name.split(".")[0]: Draft7Validator(json.loads(text)) for name, text in render_schemas(fields).items()}


def kind_of(rel: str) -> str | None:
    if rel == "content/site.yaml":
        return "site"
    if rel == "content/tags.yaml":
        return "tags"
    if rel.startswith("content/events/") and rel.endswith(".yaml"):
        return "event"
    if rel.startswith("content/sources/") and rel.endswith(".yaml"):
        return "source"
    return None


def content_files(site: Path) -> list[tuple[str, str]]:
    files = []
    for path in sorted((site / "content").rglob("*.yaml")):
        rel = path.relative_to(site).as_posix()
        kind = kind_of(rel)
        if kind:
            files.append((rel, kind))
    return files


def schema_errors(validator: Draft7Validator, data: object) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


def test_committed_schema_files_are_current() -> None:
    report = Report()
    texts = render_schemas(read_site_fields(REPO / "content", report))
    for name, text in texts.items():
        committed = (REPO / "schema" / name).read_text(encoding="utf-8")
        assert committed == text, f"schema/{name} is out of date: run python build.py schema"


def test_schemas_are_valid_draft7() -> None:
    for name in render_schemas(None):
        Draft7Validator.check_schema(json.loads((REPO / "schema" / name).read_text(encoding="utf-8")))


def test_event_schema_has_the_sites_own_fields() -> None:
    event = json.loads((REPO / "schema/event.schema.json").read_text(encoding="utf-8"))
    details = event["properties"]["details"]
    site = yaml.safe_load((REPO / "content/site.yaml").read_text(encoding="utf-8"))
    assert list(details["properties"]) == list(site["fields"])
    assert details["additionalProperties"] is False
    assert details["properties"]["missile_type"]["enum"][:2] == ["SRBM", "MRBM"]
    assert details["properties"]["apogee_km"]["title"] == "Apogee (km)"
    assert details["properties"]["count"]["type"] == ["integer", "null"]


def test_example_content_points_editors_at_the_schemas() -> None:
    for rel, kind in content_files(REPO):
        first = (REPO / rel).read_text(encoding="utf-8").splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match, f"{rel} does not start with a yaml-language-server $schema line"
        target = ((REPO / rel).parent / match.group(1)).resolve()
        assert target == REPO / "schema" / f"{kind}.schema.json", rel


@pytest.mark.parametrize("site", SITES, ids=lambda p: p.name)
def test_schema_agrees_with_the_validator_on_every_content_file(site: Path) -> None:
    validators = schemas_for(site)
    _, report = check_site(site, drafts=True)
    codes: dict[str, set[str]] = {}
    for d in report.errors:
        codes.setdefault(Path(d.file).resolve().as_posix(), set()).add(d.code)
    checked = 0
    for rel, kind in content_files(site):
        doc, problem = load_yaml_file(site / rel)
        if problem is not None:
            continue  # not YAML at all: editors report that themselves
        errors = schema_errors(validators[kind], doc.data)
        found = codes.get((site / rel).resolve().as_posix(), set())
        if found & STRUCTURAL:
            assert errors, f"{rel}: the validator reports {sorted(found)} but the schema accepts the file"
        elif not found:
            assert errors == [], f"{rel}: valid content rejected by the schema: {errors}"
        checked += 1
    assert checked >= 5


GOOD_EVENT = """\
date: 2022-01-14T14:41+09:00
title: Two missiles
summary: Fired from **rail cars**.
tags: [rail-launch]
details: {count: 2, missile_type: SRBM, apogee_km: 36.5}
quotes:
  - {text: "likely staged a launch that hadn't been previously planned", source: wire}
sources: [treasury]
status: published
"""

# (description, replace this, with this): each yields an event file the validator rejects.
BROKEN_EVENTS = [
    ("missing title", "title: Two missiles\n", ""),
    ("title is a list", "title: Two missiles", "title: [Two, missiles]"),
    ("date in a wrong form", "date: 2022-01-14T14:41+09:00", "date: 14/01/2022"),
    ("tags written as text", "tags: [rail-launch]", "tags: rail-launch"),
    ("tag id with capitals", "tags: [rail-launch]", "tags: [Rail-launch]"),
    ("unknown key", "status: published", "statsu: published"),
    ("status not allowed", "status: published", "status: final"),
    ("unknown detail field", "count: 2", "kount: 2"),
    ("detail of the wrong type", "count: 2", "count: two"),
    ("detail value not allowed", "missile_type: SRBM", "missile_type: ICBM"),
    ("quote without source", ", source: wire}", "}"),
    ("summary missing its value", "summary: Fired from **rail cars**.", "summary:"),
    ("summary left blank", "summary: Fired from **rail cars**.", "summary: '  '"),
    ("detail too large for JSON", "count: 2", "count: 99999999999999999999"),
]

GOOD_VARIANTS = [
    ("year as a number", "date: 2022-01-14T14:41+09:00", "date: 2019"),
    ("month precision", "date: 2022-01-14T14:41+09:00", "date: 2022-01"),
    ("optional key left empty", "status: published", "status:"),
    ("numeric title", "title: Two missiles", "title: 2022"),
    ("detail left empty", "count: 2", "count: ~"),
]


def _event_verdicts(tmp_path: Path, text: str) -> tuple[list[str], set[str]]:
    site = make_site(tmp_path / "s", files={"content/events/2022-01-14-x.yaml": text})
    _, report = check_site(site)
    codes = {d.code for d in report.errors if d.file.endswith("2022-01-14-x.yaml")}
    doc, problem = parse_yaml(text, "x.yaml")
    assert problem is None
    return schema_errors(schemas_for(site)["event"], doc.data), codes


def test_the_good_event_is_valid_for_both(tmp_path: Path) -> None:
    assert _event_verdicts(tmp_path, GOOD_EVENT) == ([], set())


@pytest.mark.parametrize("old,new", [case[1:] for case in BROKEN_EVENTS], ids=[c[0] for c in BROKEN_EVENTS])
def test_broken_events_are_rejected_by_both(tmp_path: Path, old: str, new: str) -> None:
    assert old in GOOD_EVENT
    errors, codes = _event_verdicts(tmp_path, GOOD_EVENT.replace(old, new))
    assert codes, "the validator should reject this"
    assert errors, f"the schema accepts what the validator rejects ({sorted(codes)})"


@pytest.mark.parametrize("old,new", [case[1:] for case in GOOD_VARIANTS], ids=[c[0] for c in GOOD_VARIANTS])
def test_valid_variants_are_accepted_by_both(tmp_path: Path, old: str, new: str) -> None:
    assert old in GOOD_EVENT
    assert _event_verdicts(tmp_path, GOOD_EVENT.replace(old, new)) == ([], set())


@pytest.mark.parametrize("text", [
    "2022", "2022-01", "2022-01-14", "2022-01-14T14:41+09:00", "2022-01-14T14:41:05Z", "2022-01-14 14:41 +0900",
    "2022-01-14T14:41−05:00", "22-01-14", "2022-1-14", "2022/01/14", "2022-01-14T14:41", "14 January 2022",
    "2022-01-14T14:41:05.5Z", "2022-01-14T14+09:00",
])
def test_date_pattern_accepts_exactly_the_parseable_forms(text: str) -> None:
    try:
        parse_date(text)
        parses = True
    except DateError as exc:
        parses = exc.code == "impossible-date"  # the right form with a wrong value
    assert bool(re.search(DATE_PATTERN, text)) == parses


def test_schema_command_writes_and_checks(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s")
    stale = run_cli("schema", "--source", str(site), "--check")
    assert stale.returncode == 1
    assert "event.schema.json: out of date" in stale.stderr
    written = run_cli("schema", "--source", str(site))
    assert written.returncode == 0, written.stderr
    event = json.loads((site / "schema/event.schema.json").read_text())
    assert list(event["properties"]["details"]["properties"]) == ["count", "missile_type", "apogee_km"]
    assert run_cli("schema", "--source", str(site), "--check").returncode == 0
    (site / "content/site.yaml").write_text((site / "content/site.yaml").read_text() + "  range_km: {type: number}\n")
    assert run_cli("schema", "--source", str(site), "--check").returncode == 1


def test_schema_command_refuses_a_broken_site_yaml(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s", files={"content/site.yaml": "title: x\nfields: {count: {type: integr}}\n"})
    result = run_cli("schema", "--source", str(site))
    assert result.returncode == 1
    assert "error[" in result.stderr and "Traceback" not in result.stderr
    assert not (site / "schema").exists()
