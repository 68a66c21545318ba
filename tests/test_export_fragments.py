"""Feeds and data files rendered with the parts earlier builds kept are those a fresh build writes."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conftest import make_site
from dateline import exports
from dateline.cache import Memo, digest
from dateline.history import history_for
from dateline.markup import MarkdownRenderer
from dateline.pages import plan_pages
from dateline.pipeline import check_site
from dateline.render import make_environment, render_pages, template_dirs
from gitrepo import Repo

QUOTED = "content/events/2022-01-13-treasury.yaml"
# A quote without a speaker: it is attributed to its source's publisher.
QUOTED_EVENT = """\
date: 2022-01-13
title: Treasury explains the sanctions
summary: The Treasury said why, in a *statement*.
tags: [sanctions, ballistic]
details:
  missile_type: SRBM
quotes:
  - text: These sanctions respond to the launches
    source: treasury
"""
SANCTIONS = "content/events/2022-01-12-sanctions.yaml"
# (file, text, replacement, an output file and what it must then hold)
EDITS = {
    "event title": (SANCTIONS, "title: US announces new sanctions", "title: US announces more sanctions",
                    "data/events.ics", b"SUMMARY:US announces more sanctions"),
    "publisher a speaker falls back to": (
        "content/sources/treasury.yaml", "publisher: US Department of the Treasury", "publisher: Treasury Office",
        "data/events.json", '"speaker":"Treasury Office"'.encode()),
    "source title": ("content/sources/wire.yaml", "title: Wire report on the train launch",
                     "title: Wire story on the train launch", "data/search.json", b"Wire story on the train launch"),
    "tag name": ("content/tags.yaml", "{name: Ballistic missile,", "{name: Ballistic weapon,",
                 "data/timelinejs.json", b'"group":"Ballistic weapon"'),
    "tag that sorts first": ("content/tags.yaml", "sanctions:", "aaa: {name: Listed first}\nsanctions:",
                             "data/index.json", b'["aaa","Listed first",""]'),
    "base_url": ("content/site.yaml", "base_url: https://example.org/mini/", "base_url: https://example.net/other/",
                 "data/events.csv", b"https://example.net/other/events/2022-01-12-sanctions/"),
    "timezone": ("content/site.yaml", "timezone: Asia/Seoul", "timezone: Asia/Tokyo",
                 "data/index.json", b"14:41 JST"),
    "field label": ("content/site.yaml", "label: Missile type", "label: Kind of missile",
                    "data/search.json", b"Kind of missile: SRBM"),
    "field no longer filters": ("content/site.yaml", "values: [SRBM, cruise], filter: true}",
                                "values: [SRBM, cruise]}", "data/index.json", b'"fields":[]'),
}


def render_exports(root: Path, memo: Any = None, **options: Any) -> dict[str, bytes]:
    site, report = check_site(root)
    assert site is not None and not report.errors, report.sorted()
    site = replace(site, history=history_for(site, root / "content"))
    env = make_environment(template_dirs(root), site, MarkdownRenderer())
    return exports.render_exports(site, env, render_pages(plan_pages(site), env), fragments=memo, **options)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def changed(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    return [rel for rel in after if after[rel] != before.get(rel)]


@pytest.mark.parametrize("name", EDITS)
def test_an_edit_after_a_build_with_the_memo_gives_a_fresh_builds_bytes(tmp_path: Path, name: str) -> None:
    rel, old, new, output, expected = EDITS[name]
    root = make_site(tmp_path, files={QUOTED: QUOTED_EVENT})
    memo: dict[Any, Any] = {}
    before = render_exports(root, memo)
    assert before == render_exports(root), "a fresh render and one filling the memo agree"
    assert render_exports(root, memo) == before, "a render from the full memo is the same"
    edit(root / rel, old, new)
    after = render_exports(root, memo)
    fresh = render_exports(root)
    assert changed(fresh, after) == [], f"stale parts after changing the {name}"
    assert expected in after[output] and expected not in before[output]


def test_a_commit_that_leaves_an_event_as_it_was_still_updates_its_times(tmp_path: Path) -> None:
    root = make_site(tmp_path, files={QUOTED: QUOTED_EVENT})
    repo = Repo(root)
    repo.commit("Add the events", "2022-01-15T09:00:00+00:00")
    memo: dict[Any, Any] = {}
    before = render_exports(root, memo)
    edit(root / SANCTIONS, "tags: [sanctions]", "tags: [sanctions]  # checked against the press release")
    repo.commit("Check the sanctions event", "2022-02-01T10:00:00+00:00")
    after = render_exports(root, memo)
    assert changed(render_exports(root), after) == []
    events = {e["id"]: e for e in json.loads(after["data/events.json"])["events"]}
    assert events["2022-01-12-sanctions"]["updated"] == "2022-02-01T10:00:00Z"
    assert events["2022-01-14-rail-launch"]["updated"] == "2022-01-15T09:00:00Z"
    assert b"DTSTAMP:20220201T100000Z" in after["data/events.ics"]
    assert set(changed(before, after)) >= {"data/events.json", "data/events.ics", "feed.xml", "feed.json"}


def test_a_memo_kept_on_disk_and_the_callers_event_digests_give_the_same_bytes(tmp_path: Path) -> None:
    root = make_site(tmp_path / "site", files={QUOTED: QUOTED_EVENT})
    path = tmp_path / "cache" / "exports.pickle"
    memo = Memo(path, b"test")
    before = render_exports(root, memo, event_key=digest)
    assert memo.save() and path.exists()
    edit(root / SANCTIONS, "title: US announces new sanctions", "title: US announces more sanctions")
    after = render_exports(root, Memo(path, b"test"), event_key=digest)
    assert changed(render_exports(root), after) == []
    assert changed(before, after)
