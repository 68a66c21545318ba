"""History from git: first-published and last-changed dates, the /changes/ page, and clean degradation."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from conftest import make_site, run_cli, snapshot
from dateline import history as history_module
from dateline.history import (NOT_GIT, OK, SHALLOW, Change, FileChange, Revision, build_history, changes_context,
                              load_history)
from dateline.pipeline import check_site, render_site
from gitrepo import Repo

RAIL = "content/events/2022-01-14-rail-launch.yaml"
TRAIN = "content/events/2022-01-14-train-launch.yaml"
SANCTIONS = "content/events/2022-01-12-sanctions.yaml"
NEW = "content/events/2022-01-17-launch.yaml"
NEW_EVENT = """\
date: 2022-01-17T08:50+09:00
title: Two missiles fired from Sunan airport
summary: Two short-range ballistic missiles.
tags: [ballistic]
"""


def make_history_repo(root: Path) -> tuple[Repo, dict[str, str]]:
    """The mini site, committed in steps: add, correct, rename (with alias), unrelated, merged pull request."""
    make_site(root)
    repo = Repo(root)
    rail = (root / RAIL).read_text()
    repo.write(RAIL, None)
    repo.write(TRAIN, rail.replace("aliases: [2022-01-14-train-launch]\n", ""))
    commits = {"add": repo.commit("Add the first events", "2022-01-15T09:00:00+09:00")}
    repo.edit(SANCTIONS, "over the missile tests.", "over the missile tests on 12 January.")
    commits["correct"] = repo.commit("Correct the sanctions summary", "2022-01-16T10:00:00+00:00")
    repo.git("mv", TRAIN, RAIL)
    repo.edit(RAIL, "updates:", "aliases: [2022-01-14-train-launch]\nupdates:")
    commits["rename"] = repo.commit("Rename the train launch", "2022-01-17T12:00:00+00:00")
    repo.write("README.md", "Not content.\n")
    commits["readme"] = repo.commit("Describe the project", "2022-01-18T12:00:00+00:00")
    repo.git("checkout", "-q", "-b", "jan-17")
    repo.write(NEW, NEW_EVENT)
    commits["branch"] = repo.commit("Add the 17 January launch", "2022-01-19T08:00:00+00:00")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "jan-17", "-m",
             "Merge pull request #7 from analyst/jan-17\n\nAdd the 17 January launch", when="2022-01-20T09:00:00+00:00")
    commits["merge"] = repo.git("rev-parse", "HEAD").strip()
    return repo, commits


@pytest.fixture(scope="module")
def history_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Repo, dict[str, str]]:
    return make_history_repo(tmp_path_factory.mktemp("history") / "site")


@pytest.fixture(scope="module")
def built(history_repo: tuple[Repo, dict[str, str]]) -> Path:
    repo, _ = history_repo
    result = run_cli("build", "--source", ".", cwd=repo.root)
    assert result.returncode == 0, result.stderr
    return repo.root / "site"


EVENTS = {"2022-01-14-rail-launch": ("2022-01-14-train-launch",), "2022-01-12-sanctions": (),
          "2019-first-test": (), "2022-01-17-launch": (), "2022-01-draft": ()}


def test_first_and_last_commit_per_event_follow_renames(history_repo) -> None:
    repo, commits = history_repo
    history = load_history(repo.root / "content", EVENTS)
    assert history.state == OK and history.head == commits["merge"]
    rail = history.for_event("2022-01-14-rail-launch")
    assert (rail.first.commit, rail.last.commit, rail.commits) == (commits["add"], commits["rename"], 2)
    assert rail.first.when == datetime.fromisoformat("2022-01-15T09:00:00+09:00")
    assert rail.first.rfc3339 == "2022-01-15T00:00:00Z"
    sanctions = history.for_event("2022-01-12-sanctions")
    assert (sanctions.first.commit, sanctions.last.commit) == (commits["add"], commits["correct"])
    first_test = history.for_event("2019-first-test")
    assert first_test.first == first_test.last and first_test.commits == 1
    # Merged with a merge commit: published when the pull request was merged, not when the branch was written.
    new = history.for_event("2022-01-17-launch")
    assert (new.first.commit, new.first.subject) == (commits["merge"], "Add the 17 January launch (#7)")
    assert history.for_event("no-such-event") is None


def test_changes_lists_content_commits_newest_first(history_repo) -> None:
    repo, commits = history_repo
    changes = load_history(repo.root / "content", EVENTS).changes()
    assert [c.revision.subject for c in changes] == [
        "Add the 17 January launch (#7)", "Rename the train launch", "Correct the sanctions summary",
        "Add the first events"]
    assert changes[1].files == (FileChange("R", "events/2022-01-14-rail-launch.yaml",
                                           "events/2022-01-14-train-launch.yaml"),)
    assert load_history(repo.root / "content", EVENTS, limit=2).changes() == changes[:2]


def test_event_page_shows_history(built: Path) -> None:
    page = (built / "events/2022-01-14-rail-launch/index.html").read_text()
    # Commit times are shown as days in the site's time zone (Asia/Seoul).
    assert re.search(r'First published <time datetime="2022-01-15T00:00:00Z">15 January 2022</time>;\s*'
                     r'last changed <time datetime="2022-01-17T12:00:00Z">17 January 2022</time>', page), page
    once = (built / "events/2019-first-test/index.html").read_text()
    assert "First published" in once and "last changed" not in once


def test_changes_page_lists_commits_and_update_notes(built: Path) -> None:
    page = (built / "changes/index.html").read_text()
    for subject in ("Add the 17 January launch (#7)", "Rename the train launch", "Correct the sanctions summary",
                    "Add the first events"):
        assert subject in page
    assert "Describe the project" not in page, "commits outside content/ are not content changes"
    assert ('Event renamed: <a href="/mini/events/2022-01-14-rail-launch/">Two missiles fired from rail cars</a> '
            '<span class="muted">(formerly 2022-01-14-train-launch)</span>') in page
    # The first commit added the event under its old id; the alias leads to it today.
    assert 'Event added: <a href="/mini/events/2022-01-14-rail-launch/">' in page
    assert "2022-01-draft" not in page, "drafts are not published, not even by name"
    assert "Corrected the launch time." in page
    assert page.index("Add the 17 January launch") < page.index("Add the first events")


def test_feeds_and_data_use_the_commit_times(built: Path) -> None:
    feed = ET.parse(built / "feed.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entry = next(e for e in feed.findall("a:entry", ns) if e.find("a:id", ns).text.endswith("/2022-01-14-rail-launch/"))
    assert entry.find("a:published", ns).text == "2022-01-15T00:00:00Z"
    assert entry.find("a:updated", ns).text == "2022-01-17T12:00:00Z"
    assert feed.find("a:updated", ns).text == "2022-01-20T09:00:00Z", "the merge of the newest event"
    events = {e["id"]: e for e in json.loads((built / "data/events.json").read_text())["events"]}
    assert (events["2022-01-12-sanctions"]["published"], events["2022-01-12-sanctions"]["updated"]) == (
        "2022-01-15T00:00:00Z", "2022-01-16T10:00:00Z")


def test_every_page_links_to_the_changes(built: Path) -> None:
    assert 'href="/mini/changes/"' in (built / "index.html").read_text()
    assert "/changes/" in (built / "sitemap.xml").read_text()


def test_a_render_without_history_says_nothing_about_git(tmp_path: Path) -> None:
    site, report = check_site(make_site(tmp_path / "s"))
    files = render_site(site, tmp_path / "s", report)
    changes = files["changes/index.html"].decode()
    assert "git" not in changes and "Corrected the launch time." in changes


def test_builds_are_identical_for_the_same_commit(history_repo, built: Path, tmp_path: Path) -> None:
    repo, _ = history_repo
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo.root), str(clone)], check=True)
    result = run_cli("build", "--source", ".", cwd=clone)
    assert result.returncode == 0, result.stderr
    ours, theirs = snapshot(built), snapshot(clone / "site")
    assert ours.keys() == theirs.keys()
    assert [k for k in ours if ours[k] != theirs[k]] == []


def test_outside_git_history_is_omitted_and_said(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s")
    assert load_history(site / "content", EVENTS).state == NOT_GIT
    result = run_cli("build", "--source", ".", cwd=site)
    assert result.returncode == 0, result.stderr
    assert "First published" not in (site / "site/events/2022-01-14-rail-launch/index.html").read_text()
    changes = (site / "site/changes/index.html").read_text()
    assert "not built from a git repository" in changes
    assert "Corrected the launch time." in changes, "update notes come from content and are always listed"


def test_shallow_clone_is_said_not_guessed(history_repo, tmp_path: Path) -> None:
    repo, _ = history_repo
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.root}", str(shallow)], check=True)
    assert load_history(shallow / "content", EVENTS).state == SHALLOW
    result = run_cli("build", "--source", ".", cwd=shallow)
    assert result.returncode == 0, result.stderr
    assert "First published" not in (shallow / "site/events/2022-01-14-rail-launch/index.html").read_text()
    assert "shallow git clone" in (shallow / "site/changes/index.html").read_text()


def _rev(n: int) -> Revision:
    return Revision(f"{n:040d}", datetime.fromisoformat(f"2022-01-{n:02d}T00:00:00+00:00"), f"commit {n}")


def test_a_rename_git_missed_is_followed_through_the_alias() -> None:
    # Newest first: the event was rewritten under a new id (git saw a delete and an add), after two edits.
    changes = [
        Change(_rev(4), (FileChange("D", "events/old.yaml"), FileChange("A", "events/new.yaml"))),
        Change(_rev(3), (FileChange("M", "events/old.yaml"),)),
        Change(_rev(2), (FileChange("M", "events/other.yaml"),)),
        Change(_rev(1), (FileChange("A", "events/old.yaml"), FileChange("A", "events/other.yaml"))),
    ]
    history = build_history(changes, {"new": ("old",), "other": ()}, limit=10)
    new = history.for_event("new")
    assert (new.first, new.last, new.commits) == (_rev(1), _rev(4), 3)
    assert history.for_event("other") == (_rev(1), _rev(2), 2)
    assert history.for_event("old") is None


def test_a_path_reused_by_a_new_event_does_not_inherit_the_old_history() -> None:
    changes = [
        Change(_rev(3), (FileChange("A", "events/x.yaml"),)),
        Change(_rev(2), (FileChange("D", "events/x.yaml"),)),
        Change(_rev(1), (FileChange("A", "events/x.yaml"),)),
    ]
    assert build_history(changes, {"x": ()}, limit=10).for_event("x") == (_rev(3), _rev(3), 1)


def test_ten_thousand_events_take_one_git_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = Repo(tmp_path / "big")
    # fast-import writes the commits without 10,000 files on disk; git log needs only the commits.
    stream = []
    for when, subject, numbers, text in ((1640995200, "Import ten thousand events", range(10_000), "Number"),
                                         (1641081600, "Correct a hundred events", range(0, 10_000, 100), "Fixed")):
        stream.append(f"commit refs/heads/main\ncommitter Editor <e@example.org> {when} +0000\n"
                      f"data {len(subject)}\n{subject}\n")
        for n in numbers:
            body = f"date: 2022\ntitle: Event {n}\nsummary: {text} {n}.\n"
            stream.append(f"M 100644 inline content/events/e{n:05d}.yaml\ndata {len(body)}\n{body}\n")
    repo.git("fast-import", "--quiet", input="".join(stream))
    (repo.root / "content").mkdir()
    calls = []
    real_run = subprocess.run

    def counting_run(*args, **kwargs):
        calls.append(args[0])
        return real_run(*args, **kwargs)

    monkeypatch.setattr(history_module.subprocess, "run", counting_run)
    started = time.perf_counter()
    history = load_history(repo.root / "content", {f"e{n:05d}": () for n in range(10_000)})
    elapsed = time.perf_counter() - started
    assert len(history.events) == 10_000
    assert history.for_event("e00100").last.subject == "Correct a hundred events"
    assert history.for_event("e00101").last.subject == "Import ten thousand events"
    assert sum("log" in call for call in calls) == 1 and len(calls) <= 3
    assert elapsed < 5, f"history of 10,000 events took {elapsed:.1f} s"


def test_changes_page_omits_drafts_and_names_removed_events(tmp_path: Path) -> None:
    site, _ = check_site(make_site(tmp_path / "s"))
    history = build_history([
        Change(_rev(2), (FileChange("M", "events/2022-01-draft.yaml"),)),
        Change(_rev(1), (FileChange("A", "events/2022-01-12-sanctions.yaml"), FileChange("D", "events/gone.yaml"))),
    ], {e.id: e.aliases for e in site.events}, limit=10)
    context = changes_context(replace(site, history=history))
    assert [view.revision for view in context["commits"]] == [_rev(1)], "a commit touching only a draft is not shown"
    assert [(t.verb, t.id, t.url) for t in context["commits"][0].events] == [
        ("added", "2022-01-12-sanctions", "events/2022-01-12-sanctions/"), ("removed", "gone", "")]
