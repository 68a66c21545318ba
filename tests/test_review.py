"""`build.py review BASE`: a Markdown report of what a pull request changes, from a real git repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_site, run_cli, snapshot
from dateline.review import MISSING, FieldDiff, diff_values
from gitrepo import Repo

RAIL = "content/events/2022-01-14-rail-launch.yaml"
NEW_EVENT = """\
date: 2022-01-15
title: Missiles strike a sea target
summary: North Korea said its missiles hit their target.
tags: [ballistic]
quotes:
  - text: fired two “tactical guided” missiles that accurately struck a sea target
    source: wire
sources: [yonhap]
"""
NEW_SOURCE = "title: North Korea fires missiles\npublisher: Yonhap\nurl: https://example.com/yonhap\n"


def make_pull_request(root: Path) -> Repo:
    """Commit the mini site on main, then change the working tree the way a pull request would."""
    make_site(root, files={"README.md": "Not content.\n"})
    repo = Repo(root)
    repo.commit("Add the first events", "2022-01-15T09:00:00+09:00")
    repo.edit(RAIL, "likely staged", "probably staged")  # the misquote
    repo.edit(RAIL, "related: [2022-01-12-sanctions]", "related: [2022-01-12-us-sanctions]")
    repo.write("content/events/2022-01-15-sea-target.yaml", NEW_EVENT)
    repo.write("content/sources/yonhap.yaml", NEW_SOURCE)
    repo.git("mv", "content/events/2022-01-12-sanctions.yaml", "content/events/2022-01-12-us-sanctions.yaml")
    with (root / "content/events/2022-01-12-us-sanctions.yaml").open("a") as f:
        f.write("aliases: [2022-01-12-sanctions]\n")
    repo.write("content/events/2019-first-test.yaml", None)
    return repo


@pytest.fixture
def pull_request(tmp_path: Path) -> Repo:
    return make_pull_request(tmp_path / "site")


def review(repo: Repo, *args: str):
    return run_cli("review", "main", *args, cwd=repo.root)


def test_report_names_the_changed_quote_and_the_new_event(pull_request: Repo) -> None:
    result = review(pull_request)
    assert result.returncode == 1, result.stderr
    report = result.stdout
    assert report.startswith("## Dateline review\n")
    assert "**✗ 1 error" in report
    assert "- `2022-01-15-sea-target`: Missiles strike a sea target (2022-01-15)" in report
    assert ("- ✗ `2022-01-14-rail-launch` quote 2 (source `wire`): “\\[The North\\] probably staged a launch "
            "that hadn't been previously planned” — **misquote**: quote does not match the text of source 'wire'") in report
    assert "closest passage in wire: “staged a launch that hadn’t been previously planned”" in report
    assert ("- ✓ `2022-01-15-sea-target` quote 1 (source `wire`): “fired two “tactical guided” missiles that "
            "accurately struck a sea target” — **verified against the stored text**") in report
    assert "quote 1 (source `wire`): “The troops" not in report, "unchanged quotes are not listed"
    assert ("  - `quotes[2].text`: “\\[The North\\] likely staged a launch that hadn't been previously planned” → "
            "“\\[The North\\] probably staged a launch that hadn't been previously planned”") in report
    assert "  - `related`: added “2022-01-12-us-sanctions”; removed “2022-01-12-sanctions”" in report
    assert "Pages were not compared: the working tree has errors." in report
    assert "error[misquote]" in report.split("### Problems")[1]


def test_renames_removals_and_new_sources(pull_request: Repo) -> None:
    report = review(pull_request).stdout
    assert ("- `2022-01-12-sanctions` → `2022-01-12-us-sanctions`: US announces new sanctions (2022-01-12). "
            "✓ The old address /events/2022-01-12-sanctions/ redirects here (alias).") in report
    assert ("- `2019-first-test`: First test of the Iskander-like missile (2019). ⚠ /events/2019-first-test/ "
            "will stop working.") in report
    assert ("- **Added** `yonhap`: North Korea fires missiles. ⚠ no `archive_url`: save the page at "
            "https://web.archive.org/save and add the copy's address; ⚠ no stored text") in report


def test_clean_change_lists_changed_pages_and_exits_0(pull_request: Repo) -> None:
    pull_request.edit(RAIL, "probably staged", "likely staged")
    result = review(pull_request, "--site-url", "https://preview.example.org/mini/")
    assert result.returncode == 0, result.stdout + result.stderr
    report = result.stdout
    assert "**✓ No errors**" in report
    assert "No quote was added or changed." not in report
    pages = report.split("### Pages")[1].split("###")[0]
    added = next(line for line in pages.splitlines() if line.startswith("- Added:"))
    for url in ("/events/2022-01-15-sea-target/", "/events/2022-01-12-us-sanctions/", "/sources/yonhap/"):
        assert f"[{url}](https://preview.example.org/mini{url})" in added
    removed = next(line for line in pages.splitlines() if line.startswith("- Removed:"))
    assert "`/events/2019-first-test/`" in removed
    changed = next(line for line in pages.splitlines() if line.startswith("- Changed:"))
    assert "/events/2022-01-12-sanctions/" in changed, "the old address became a redirect"
    assert "/events/2022-01-14-rail-launch/" in changed and "/sitemap.xml" in changed
    assert "/sources/treasury/" in changed, "it lists the renamed event at its new address"
    assert "/tags/rail-launch/" not in changed


def test_the_working_tree_and_repository_are_left_alone(pull_request: Repo) -> None:
    status = pull_request.git("status", "--porcelain")
    files = snapshot(pull_request.root / "content")
    worktrees = pull_request.git("worktree", "list")
    review(pull_request)
    assert pull_request.git("status", "--porcelain") == status
    assert snapshot(pull_request.root / "content") == files
    assert pull_request.git("worktree", "list") == worktrees
    assert not (pull_request.root / "site").exists()


def test_a_changed_source_text_rechecks_its_quotes(tmp_path: Path) -> None:
    repo = Repo(make_site(tmp_path / "site"))
    repo.commit("Add the first events", "2022-01-15T09:00:00+09:00")
    repo.edit("content/sources/wire.txt", "likely staged", "may have staged")
    report = run_cli("review", "HEAD", cwd=repo.root).stdout
    assert "- **Changed** `wire`: Wire report on the train launch (stored text changed" in report
    assert "- ✗ `2022-01-14-rail-launch` quote 2 (source `wire`)" in report
    assert "- ✓ `2022-01-14-rail-launch` quote 1 (source `wire`)" in report
    assert "No event was added, changed or removed." in report


def test_site_in_a_subfolder_of_the_repository(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    make_site(repo.root / "newsroom")
    repo.commit("Add the site", "2022-01-15T09:00:00+09:00")
    repo.write("newsroom/content/events/2022-01-15-sea-target.yaml", NEW_EVENT.replace("sources: [yonhap]\n", ""))
    result = run_cli("review", "HEAD", "--source", "newsroom", cwd=repo.root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "- `2022-01-15-sea-target`: Missiles strike a sea target" in result.stdout


def test_base_without_content_counts_everything_as_added(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    repo.write("README.md", "Start.\n")
    repo.commit("Start", "2022-01-01T00:00:00+00:00")
    make_site(repo.root)
    result = run_cli("review", "HEAD", cwd=repo.root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "**Added (4)**" in result.stdout
    assert "every page is new" in result.stdout


@pytest.mark.parametrize("revision,message", [("no-such-branch", "fetch-depth: 0"), ("HEAD~5", "fetch-depth: 0")])
def test_unknown_revision_is_a_usage_error(pull_request: Repo, revision: str, message: str) -> None:
    result = run_cli("review", revision, cwd=pull_request.root)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_outside_git_is_a_usage_error(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s")
    result = run_cli("review", "main", cwd=site)
    assert result.returncode == 2
    assert "not a git repository" in result.stderr.lower()
    assert "Traceback" not in result.stderr


def test_diff_values_descends_into_mappings_and_pairs_changed_items() -> None:
    old = {"title": "A", "details": {"count": 2}, "quotes": [{"text": "x", "source": "s"}, {"text": "y", "source": "s"}]}
    new = {"title": "B", "details": {"count": 3, "apogee_km": 36},
           "quotes": [{"text": "x", "source": "s"}, {"text": "y2", "source": "s"}, {"text": "z", "source": "t"}],
           "updates": [{"date": "2022-01-16", "note": "Fixed."}]}
    assert diff_values("", old, new) == [
        FieldDiff("title", "A", "B"),
        FieldDiff("details.count", 2, 3),
        FieldDiff("details.apogee_km", MISSING, 36),
        FieldDiff("quotes[2].text", "y", "y2"),
        FieldDiff("quotes[3]", MISSING, {"text": "z", "source": "t"}),
        FieldDiff("updates[1]", MISSING, {"date": "2022-01-16", "note": "Fixed."}),
    ]
    assert diff_values("", {"tags": ["a", "b"]}, {"tags": ["b", "c"]}) == [FieldDiff("tags", ["a", "b"], ["b", "c"])]
    assert diff_values("", {"quotes": [{"text": "x"}]}, {}) == [FieldDiff("quotes", {"text": "x"}, MISSING)]


def test_review_command_is_listed_in_help() -> None:
    result = run_cli("--help")
    assert "review" in result.stdout


def test_problems_show_errors_and_the_warnings_of_touched_files(tmp_path: Path) -> None:
    repo = Repo(make_site(tmp_path / "site"))
    repo.edit("content/sources/treasury.yaml", "archive_url:", "# archive_url:")  # a warning already on main
    repo.commit("Add the first events", "2022-01-15T09:00:00+09:00")
    repo.write("content/sources/yonhap.yaml", NEW_SOURCE)
    problems = run_cli("review", "HEAD", cwd=repo.root).stdout.split("### Problems")[1]
    assert "content/sources/yonhap.yaml:3:1: warning[missing-archive]" in problems
    assert "treasury" not in problems
    assert "1 other warning in files this change does not touch" in problems
