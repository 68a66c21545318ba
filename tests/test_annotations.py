"""`check --format github|json`: machine-readable diagnostics for CI and other tools."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import make_site, run_cli
from dateline.diagnostics import Diagnostic, format_report

RAIL = "content/events/2022-01-14-rail-launch.yaml"
SANCTIONS = "content/events/2022-01-12-sanctions.yaml"


def broken_site(root: Path) -> Path:
    """The mini site with a misquote, an unknown tag and a source without an archive link."""
    site = make_site(root)
    rail = site / RAIL
    rail.write_text(rail.read_text().replace("likely staged", "probably staged"))
    sanctions = site / SANCTIONS
    sanctions.write_text(sanctions.read_text().replace("tags: [sanctions]", "tags: [sanction]"))
    treasury = site / "content/sources/treasury.yaml"
    treasury.write_text("".join(line for line in treasury.read_text().splitlines(keepends=True)
                                if not line.startswith("archive_url")))
    return site


def test_github_format_prints_one_workflow_command_per_problem(tmp_path: Path) -> None:
    site = broken_site(tmp_path / "s")
    result = run_cli("check", "--source", ".", "--format", "github", cwd=site)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    # Positions and codes exactly; wording loosely, since messages improve over time.
    expected = [
        ("::error file=content/events/2022-01-12-sanctions.yaml,line=4,col=8,title=unknown-tag",
         "tag 'sanction' is not in content/tags.yaml", "(hint: did you mean 'sanctions'?)"),
        ("::error file=content/events/2022-01-14-rail-launch.yaml,line=14,col=11,title=misquote",
         "quote does not match the text of source 'wire'",
         "(hint: closest passage in wire: “staged a launch that hadn’t been previously planned”)"),
        ("::warning file=content/sources/treasury.yaml,line=4,col=1,title=missing-archive",
         "source has a url but no archive_url", "(hint: save it at https://web.archive.org/save"),
    ]
    assert len(lines) == len(expected), result.stdout
    for line, (command, message, hint) in zip(lines, expected):
        head, _, text = line.partition("::")[2].partition("::")
        assert "::" + head == command
        assert text.startswith(message) and hint in text, text
    assert "Traceback" not in result.stderr


def test_github_format_is_empty_and_succeeds_on_clean_content(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s")
    result = run_cli("check", "--source", ".", "--format", "github", cwd=site)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_json_format_lists_the_same_problems(tmp_path: Path) -> None:
    site = broken_site(tmp_path / "s")
    result = run_cli("check", "--source", ".", "--format", "json", cwd=site)
    assert result.returncode == 1
    items = json.loads(result.stdout)
    assert [(d["file"], d["line"], d["column"], d["severity"], d["code"]) for d in items] == [
        (SANCTIONS, 4, 8, "error", "unknown-tag"),
        (RAIL, 14, 11, "error", "misquote"),
        ("content/sources/treasury.yaml", 4, 1, "warning", "missing-archive"),
    ]


def test_github_properties_and_messages_are_escaped() -> None:
    diagnostic = Diagnostic("content/events/a,b:c.yaml", 3, 5, "error", "bad-value",
                            "100% wrong\nsecond line\r", "use: a, b")
    assert format_report([diagnostic], "github") == (
        "::error file=content/events/a%2Cb%3Ac.yaml,line=3,col=5,title=bad-value::"
        "100%25 wrong%0Asecond line%0D (hint: use: a, b)")


def test_warnings_become_warning_commands() -> None:
    diagnostic = Diagnostic("x.yaml", 1, 1, "warning", "unverified-quote", "no text")
    assert diagnostic.format_github() == "::warning file=x.yaml,line=1,col=1,title=unverified-quote::no text"
