"""`build.py new event|source`: correct minimal files under free ids, never overwriting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import make_site, run_cli
from dateline.pipeline import check_site
from dateline.scaffold import free_id, slugify


def new(site: Path, *args: str):
    return run_cli("new", *args, cwd=site)


def check(site: Path):
    return run_cli("check", "--source", ".", "--drafts", cwd=site)


@pytest.mark.parametrize("title,slug", [
    ("Two missiles fired from rail cars", "two-missiles-fired-from-rail-cars"),
    ("KCNA: “Railway regiment” drill — Pyongyang's report", "kcna-railway-regiment-drill-pyongyangs-report"),
    ("Hwasŏng-12 launch", "hwasong-12-launch"),
    ("조선중앙통신", ""),
    ("a " * 80, "-".join(["a"] * 30)),
])
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_free_id_counts_up() -> None:
    assert free_id("x", set()) == "x"
    assert free_id("x", {"x", "x-2"}) == "x-3"


def test_new_event_writes_a_draft_that_passes_check(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s")
    result = new(site, "event", "Missiles fired: again", "--date", "2022-01-17", "--tags", "ballistic,rail-launch")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "content/events/2022-01-17-missiles-fired-again.yaml\n"
    text = (site / result.stdout.strip()).read_text()
    assert text.startswith("date: 2022-01-17\ntitle: 'Missiles fired: again'\n")
    assert "tags: [ballistic, rail-launch]\n" in text
    assert "status: draft" in text
    checked = check(site)
    assert checked.returncode == 0, checked.stderr


def test_new_event_with_summary_is_published_and_cites_sources(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s")
    result = new(site, "event", "Launch", "--date", "2022-01-17T08:50+09:00", "--summary", "Two missiles.\n\nMore.",
                 "--sources", "treasury", "wire", "--tags", "ballistic")
    assert result.returncode == 0, result.stderr
    text = (site / result.stdout.strip()).read_text()
    assert "date: 2022-01-17T08:50+09:00\n" in text
    assert "summary: |\n  Two missiles.\n\n  More.\n" in text
    assert "sources: [treasury, wire]" in text and "status" not in text
    built, report = check_site(site)
    assert report.errors == []
    assert "2022-01-17-launch" in built.by_id, "an event with a summary is published, not a draft"


def test_ids_are_free_of_files_and_aliases(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s")
    # 2022-01-14-train-launch is an alias of the rail-launch event: its address is taken.
    first = new(site, "event", "Train launch", "--date", "2022-01-14")
    assert first.stdout == "content/events/2022-01-14-train-launch-2.yaml\n"
    second = new(site, "event", "Train launch", "--date", "2022-01-14")
    assert second.stdout == "content/events/2022-01-14-train-launch-3.yaml\n"
    year = new(site, "event", "First test", "--date", "2019")
    assert year.stdout == "content/events/2019-first-test-2.yaml\n"


def test_existing_files_are_never_overwritten(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s")
    before = (site / "content/events/2022-01-12-sanctions.yaml").read_bytes()
    result = new(site, "event", "Other", "--date", "2022-01-12", "--id", "2022-01-12-sanctions")
    assert result.returncode == 2
    assert "already used" in result.stderr
    assert (site / "content/events/2022-01-12-sanctions.yaml").read_bytes() == before
    source = new(site, "source", "--title", "x", "--id", "wire")
    assert source.returncode == 2 and "already used" in source.stderr


@pytest.mark.parametrize("args,message", [
    (("--date", "14/01/2022"), "--date 14/01/2022"),
    (("--date", "2022-02-30"), "February 2022 has 28 days"),
    (("--date", "2022-01-14", "--tags", "rail"), "tag 'rail' is not in content/tags.yaml"),
    (("--date", "2022-01-14", "--tags", "balistic"), "did you mean 'ballistic'?"),
    (("--date", "2022-01-14", "--sources", "nope"), "source 'nope' is not in content/sources/"),
    (("--date", "2022-01-14", "--id", "Bad_Id"), "not a valid event id"),
])
def test_bad_arguments_are_explained(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    site = make_site(tmp_path / "s")
    result = new(site, "event", "Launch", *args)
    assert result.returncode == 2
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in (site / "content/events").iterdir()) == [
        "2019-first-test.yaml", "2022-01-12-sanctions.yaml", "2022-01-14-rail-launch.yaml", "2022-01-draft.yaml"]


def test_new_source_with_text_verifies_quotes(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s")
    article = tmp_path / "article.txt"
    article.write_text("SEOUL: North Korea fired two missiles on Monday, the military said.")
    result = new(site, "source", "--title", "North Korea fires two missiles", "--publisher", "Yonhap",
                 "--url", "https://example.com/a?id=1", "--published", "2022-01-17", "--text-file", str(article))
    assert result.returncode == 0, result.stderr
    yaml_path, txt_path = result.stdout.split()
    assert yaml_path == "content/sources/yonhap-2022-01-17-north-korea-fires-two-missiles.yaml"
    assert txt_path == yaml_path.replace(".yaml", ".txt")
    text = (site / yaml_path).read_text()
    assert "publisher: Yonhap\npublished: 2022-01-17\n" in text
    assert re.search(r"^accessed: \d{4}-\d{2}-\d{2}$", text, re.M)
    assert "# archive_url:" in text
    event = new(site, "event", "Launch", "--date", "2022-01-17", "--summary", "Two missiles.")
    path = site / event.stdout.strip()
    path.write_text(path.read_text() + "quotes:\n  - text: fired two missiles on Monday\n"
                    "    source: yonhap-2022-01-17-north-korea-fires-two-missiles\n")
    checked = check(site)
    assert checked.returncode == 0, checked.stderr
    assert "missing-archive" in checked.stderr and "yonhap" in checked.stderr


def test_new_source_refuses_bad_input(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s")
    bad_url = new(site, "source", "--title", "x", "--url", "example.com/a")
    assert bad_url.returncode == 2 and "not an http(s) URL" in bad_url.stderr
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe")
    bad_text = new(site, "source", "--title", "x", "--text-file", str(tmp_path / "bin.txt"))
    assert bad_text.returncode == 2 and "UTF-8" in bad_text.stderr
    missing = new(site, "source", "--title", "x", "--text-file", str(tmp_path / "none.txt"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    assert sorted(p.name for p in (site / "content/sources").iterdir()) == ["treasury.yaml", "wire.txt", "wire.yaml"]


def test_schema_line_points_at_the_sites_schema(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s")
    assert run_cli("schema", "--source", str(site)).returncode == 0
    result = new(site, "event", "Launch", "--date", "2022")
    first = (site / result.stdout.strip()).read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schema/event.schema.json"
