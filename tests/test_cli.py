"""The command line as users run it: exit codes, messages and the files written."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from conftest import make_site, run_cli, snapshot

RAIL = "content/events/2022-01-14-rail-launch.yaml"


def build(site: Path, *extra: str):
    return run_cli("build", "--source", str(site), *extra)


def test_build_writes_every_page(site_dir: Path) -> None:
    result = build(site_dir)
    assert result.returncode == 0, result.stderr
    assert "built" in result.stderr
    out = site_dir / "site"
    for rel in ("index.html", "404.html", "events/2022-01-14-rail-launch/index.html",
                "events/2022-01-12-sanctions/index.html", "events/2019-first-test/index.html",
                "events/2022-01-14-train-launch/index.html", "sources/index.html", "sources/wire/index.html",
                "tags/index.html", "tags/rail-launch/index.html", "years/2022/index.html",
                "sitemap.xml", "robots.txt", "static/dateline.css"):
        assert (out / rel).is_file(), rel
    assert not (out / "events/2022-01-draft").exists(), "drafts are not built unless asked"
    home = (out / "index.html").read_text()
    assert 'id="2022-01-14-rail-launch"' in home
    assert 'href="/mini/events/2022-01-14-rail-launch/"' in home
    assert "c. 2019" in home
    assert "14 January 2022, 14:41 KST (05:41 UTC)" in home


def test_event_page_shows_quotes_facts_and_history(site_dir: Path) -> None:
    assert build(site_dir).returncode == 0
    page = (site_dir / "site/events/2022-01-14-rail-launch/index.html").read_text()
    assert "fired two “tactical guided” missiles" in page
    assert "KCNA (as reported)" in page
    assert "✓ verified" in page
    assert "<th scope=\"row\">Apogee</th><td>36 km</td>" in page
    assert "Corrected the launch time." in page
    assert 'href="/mini/events/2022-01-12-sanctions/"' in page
    assert '<link rel="canonical" href="https://example.org/mini/events/2022-01-14-rail-launch/">' in page
    redirect = (site_dir / "site/events/2022-01-14-train-launch/index.html").read_text()
    assert 'url=/mini/events/2022-01-14-rail-launch/' in redirect


def test_drafts_flag_builds_drafts(site_dir: Path) -> None:
    assert build(site_dir, "--drafts").returncode == 0
    assert (site_dir / "site/events/2022-01-draft/index.html").is_file()


def test_source_page_lists_citing_quotes_not_text(site_dir: Path) -> None:
    assert build(site_dir).returncode == 0
    page = html.unescape((site_dir / "site/sources/wire/index.html").read_text())
    assert "hadn't been previously planned" in page
    assert "Biden administration" not in page, "article text is not published unless enabled"


def test_two_builds_are_byte_identical(tmp_path: Path, site_dir: Path) -> None:
    assert build(site_dir, "--out", str(tmp_path / "a")).returncode == 0
    assert build(site_dir, "--out", str(tmp_path / "b")).returncode == 0
    a, b = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_misquote_fails_and_leaves_site_untouched(site_dir: Path) -> None:
    assert build(site_dir).returncode == 0
    before = snapshot(site_dir / "site")
    path = site_dir / RAIL
    path.write_text(path.read_text().replace("likely staged", "probably staged"))
    for command in ("check", "build"):
        result = run_cli(command, "--source", str(site_dir))
        assert result.returncode == 1
        assert re.search(r"2022-01-14-rail-launch\.yaml:14:\d+: error\[misquote\]", result.stderr), result.stderr
        assert "closest passage" in result.stderr and "staged a launch that hadn’t been previously planned" in result.stderr
        assert "Traceback" not in result.stderr
    assert snapshot(site_dir / "site") == before


def test_check_json_and_strict(site_dir: Path) -> None:
    path = site_dir / "content/sources/wire.txt"
    path.unlink()
    result = run_cli("check", "--source", str(site_dir), "--format", "json")
    assert result.returncode == 0
    items = json.loads(result.stdout)
    assert {d["code"] for d in items} >= {"unverified-quote"}
    assert all(set(d) == {"file", "line", "column", "severity", "code", "message", "hint"} for d in items)
    strict = run_cli("check", "--source", str(site_dir), "--strict")
    assert strict.returncode == 1
    assert "warning[unverified-quote]" in strict.stderr


def test_check_writes_nothing(site_dir: Path) -> None:
    result = run_cli("check", "--source", str(site_dir))
    assert result.returncode == 0, result.stderr
    assert "check ok" in result.stderr
    assert not (site_dir / "site").exists()


@pytest.mark.parametrize("args", [
    ["--source", "/nonexistent/folder"],
    ["--source", "{site}", "--out", "{site}"],
    ["--source", "{site}", "--out", "{site}/content"],
    ["--source", "{site}", "--out", "/"],
])
def test_usage_errors_exit_2(site_dir: Path, args: list[str]) -> None:
    result = run_cli("build", *[a.format(site=site_dir) for a in args])
    assert result.returncode == 2
    assert "error:" in result.stderr and "Traceback" not in result.stderr
    assert (site_dir / "content/site.yaml").is_file()


def test_unknown_command_is_usage_error() -> None:
    assert run_cli("frobnicate").returncode == 2


@pytest.mark.parametrize("command", ["build", "check", "serve"])
def test_help(command: str) -> None:
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert "--source" in result.stdout


def test_base_url_with_sub_path_prefixes_links(site_dir: Path) -> None:
    assert build(site_dir, "--base-url", "https://news.example.com/a/b/").returncode == 0
    home = (site_dir / "site/index.html").read_text()
    hrefs = re.findall(r'href="([^"]+)"', home)
    internal = [h for h in hrefs if not h.startswith(("http", "#"))]
    assert internal and all(h.startswith("/a/b/") for h in internal), internal


def test_markdown_cannot_inject_script(site_dir: Path) -> None:
    path = site_dir / "content/events/2022-01-12-sanctions.yaml"
    path.write_text(path.read_text().replace(
        "summary: The United States sanctioned individuals over the missile tests.",
        "summary: |\n  <script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror=alert(3)>"))
    assert build(site_dir).returncode == 0
    page = (site_dir / "site/events/2022-01-12-sanctions/index.html").read_text()
    assert "<script>alert" not in page and "javascript:" not in page and "<img" not in page
    assert "&lt;script&gt;" in page


def test_site_templates_override_defaults_file_by_file(site_dir: Path) -> None:
    (site_dir / "templates").mkdir()
    (site_dir / "templates/404.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>Lost at sea</h1>{% endblock %}')
    assert build(site_dir).returncode == 0
    assert "Lost at sea" in (site_dir / "site/404.html").read_text()
    assert "Two missiles fired from rail cars" in (site_dir / "site/index.html").read_text()


def test_template_error_is_located(site_dir: Path) -> None:
    (site_dir / "templates").mkdir()
    (site_dir / "templates/404.html").write_text('{% extends "base.html" %}\n{% block content %}\n{{ nope.x }}\n{% endblock %}')
    result = build(site_dir)
    assert result.returncode == 1
    assert re.search(r"templates/404\.html:3:1: error\[template-undefined\]", result.stderr), result.stderr
    (site_dir / "templates/404.html").write_text('{% extends "base.html" %}\n{% block content %}\n{% if %}\n')
    result = build(site_dir)
    assert result.returncode == 1
    assert re.search(r"templates/404\.html:3:1: error\[template-syntax\]", result.stderr), result.stderr
    assert not (site_dir / "site").exists()


def test_timings_name_each_stage_only_when_asked(site_dir: Path) -> None:
    quiet = run_cli("build", "--source", str(site_dir), env={"DATELINE_TIMINGS": ""})
    assert quiet.returncode == 0 and "timing:" not in quiet.stderr
    (site_dir / "content/tags.yaml").write_text(
        (site_dir / "content/tags.yaml").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    timed = run_cli("build", "--source", str(site_dir), env={"DATELINE_TIMINGS": "1"})
    assert timed.returncode == 0, timed.stderr
    stages = re.findall(r"^timing: (.+?)\s+\d+\.\d+ s +\(CPU +\d+\.\d+ s.*peak RSS +\d+ MB\)$", timed.stderr, re.M)
    assert stages[0] == "digest inputs" and "check events" in stages and "render" in stages, stages
    assert stages[-1] == "save cache"
