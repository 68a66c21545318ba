"""History from git: when each event was first published and last changed, and recent content changes.

One `git log --name-status` walk over content/ reads every commit once, so
the cost does not grow with a process per file; renames are followed through
git's rename detection and, where git saw a delete and an add instead, through
the event's `aliases`. The walk follows first parents, so in a merge-based
workflow an event counts as published when its pull request was merged.
Everything comes from commits, never the clock: the same commit gives the
same history. Outside git, or in a shallow clone whose oldest commits are
missing, there is no history and `History.note` says why.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .dates import FuzzyDate

if TYPE_CHECKING:
    from .model import Site

CHANGES_LIMIT = 100
"""The /changes/ page lists at most this many commits, so it cannot grow without bound."""
FILES_SHOWN = 20
"""Per commit, the /changes/ page names this many events and sources (a bulk import touches thousands)."""
GIT_TIMEOUT = 120

OK, NOT_GIT, SHALLOW, UNAVAILABLE = "ok", "not-git", "shallow", "unavailable"
_NOTES = {
    NOT_GIT: "This copy of the site was not built from a git repository, so publication history is not shown.",
    SHALLOW: "This copy of the site was built from a shallow git clone, so publication history is not shown.",
    UNAVAILABLE: "Publication history could not be read from git.",
}
_MERGE_PR = re.compile(r"Merge pull request (#\d+) from \S+\Z")


@dataclass(frozen=True)
class Revision:
    """One commit: its hash, commit time (with the committer's offset) and subject."""

    commit: str
    when: datetime
    subject: str

    @property
    def short(self) -> str:
        return self.commit[:7]

    @property
    def rfc3339(self) -> str:
        """Return the commit time as an RFC 3339 UTC timestamp, for feeds."""
        return self.when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def local_day(self, zone: str = "UTC") -> FuzzyDate:
        """Return the commit's calendar day in the site's time zone, for display."""
        try:
            local = self.when.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            local = self.when.astimezone(timezone.utc)
        return FuzzyDate(local.year, local.month, local.day)


class EventHistory(NamedTuple):
    """When an event was first published (committed) and last changed."""

    first: Revision
    last: Revision
    commits: int


@dataclass(frozen=True)
class FileChange:
    """One content file touched by a commit: A(dded), M(odified), D(eleted) or R(enamed from old_path)."""

    status: str
    path: str
    old_path: str = ""

    @property
    def event_id(self) -> str | None:
        return _stem(self.path, "events/")

    @property
    def source_id(self) -> str | None:
        return _stem(self.path, "sources/")


@dataclass(frozen=True)
class Change:
    """A commit that touched content, with the files it touched (paths relative to content/)."""

    revision: Revision
    files: tuple[FileChange, ...]

    @property
    def events(self) -> tuple[FileChange, ...]:
        return tuple(f for f in self.files if f.event_id)

    @property
    def sources(self) -> tuple[FileChange, ...]:
        """Return the sources touched (file or stored text), one entry per source, the .yaml preferred."""
        by_id: dict[str, FileChange] = {}
        for f in self.files:
            if f.source_id and (f.source_id not in by_id or f.path.endswith(".yaml")):
                by_id[f.source_id] = f
        return tuple(by_id.values())


@dataclass(frozen=True)
class History:
    """Publication history of a site's content, or the reason there is none."""

    state: str
    events: dict[str, EventHistory] = field(default_factory=dict, hash=False)
    recent: tuple[Change, ...] = ()
    head: str = ""

    @property
    def available(self) -> bool:
        return self.state == OK

    @property
    def note(self) -> str:
        """Return a sentence for readers when history is missing, else ''."""
        return _NOTES.get(self.state, "")

    def for_event(self, event_id: str) -> EventHistory | None:
        """Return (first, last, commits) for an event, or None when it has no committed history."""
        return self.events.get(event_id)

    def changes(self, limit: int = CHANGES_LIMIT) -> list[Change]:
        """Return the most recent commits that touched content, newest first."""
        return list(self.recent[:limit])


NO_HISTORY = History(NOT_GIT)
NOT_LOADED = History("not-loaded")  # rendered without reading git (previews, review): say nothing


def load_history(content_dir: Path, events: dict[str, Iterable[str]], limit: int = CHANGES_LIMIT) -> History:
    """Read the history of content_dir from git for the given events (id -> former ids)."""
    state = _repository_state(content_dir)
    if state != OK:
        return History(state)
    try:
        out = _git(content_dir, "log", "-z", "--first-parent", "--diff-merges=first-parent", "--name-status",
                   "-M", "--relative", "--no-color", "--no-ext-diff", "--format=%x1e%H%x1f%cI%x1f%s%x1f%b",
                   "--", ".")
    except _GitFailed:
        return History(UNAVAILABLE)
    return build_history(parse_log(out), events, limit)


def parse_log(out: str) -> Iterator[Change]:
    """Parse `git log -z --name-status --format=%x1e%H%x1f%cI%x1f%s%x1f%b` output, newest first."""
    for record in out.split("\x1e")[1:]:
        header, _, rest = record.partition("\0")
        commit, when, subject, body = (header.split("\x1f", 3) + ["", "", ""])[:4]
        tokens = rest.lstrip("\n").split("\0")
        files = []
        i = 0
        while i < len(tokens):
            status = tokens[i].strip()
            if not status:
                i += 1
                continue
            if status[0] in "RC" and i + 2 < len(tokens):
                files.append(FileChange(status[0], tokens[i + 2], tokens[i + 1]))
                i += 3
            elif i + 1 < len(tokens):
                files.append(FileChange(status[0], tokens[i + 1]))
                i += 2
            else:
                break
        yield Change(Revision(commit, datetime.fromisoformat(when), _subject(subject, body)), tuple(files))


def build_history(changes: Iterable[Change], events: dict[str, Iterable[str]], limit: int) -> History:
    """Attribute each commit (newest first) to the events whose file it touched, following renames."""
    # The path (relative to content/) that each event's file had at the commit being read.
    lineage = {f"events/{event_id}.yaml": event_id for event_id in events}
    first: dict[str, Revision] = {}
    last: dict[str, Revision] = {}
    counts: dict[str, int] = {}
    recent: list[Change] = []
    head = ""
    for change in changes:
        head = head or change.revision.commit
        if len(recent) < limit:
            recent.append(change)
        touched: set[str] = set()
        for f in change.files:
            event_id = lineage.get(f.path)
            if event_id is None or f.status == "D":
                continue
            touched.add(event_id)
            if f.status == "R":
                del lineage[f.path]
                lineage[f.old_path] = event_id
            elif f.status in "AC":
                # Before this commit the path held nothing, or another file; only a former id continues the line.
                del lineage[f.path]
                for alias in events.get(event_id, ()):
                    lineage.setdefault(f"events/{alias}.yaml", event_id)
        for event_id in touched:
            last.setdefault(event_id, change.revision)
            first[event_id] = change.revision
            counts[event_id] = counts.get(event_id, 0) + 1
    found = {i: EventHistory(first[i], last[i], counts[i]) for i in sorted(first)}
    return History(OK, found, tuple(recent), head)


def history_for(site: "Site", content_dir: Path) -> History:
    """Read the history of a validated site's events from git."""
    return load_history(content_dir, {event.id: event.aliases for event in site.events})


@dataclass(frozen=True)
class Touch:
    """One event or source a commit touched, as the /changes/ page shows it."""

    verb: str  # added, changed, renamed, removed
    id: str
    title: str
    url: str  # site-relative, '' when there is no page for it (removed, or a draft)
    former: str = ""


@dataclass(frozen=True)
class ChangeView:
    """A commit on the /changes/ page."""

    revision: Revision
    events: tuple[Touch, ...]
    sources: tuple[Touch, ...]
    more: int  # events and sources not listed
    settings: bool  # site.yaml or tags.yaml changed


@dataclass(frozen=True)
class UpdateView:
    """One entry of an event's corrections log, for the /changes/ page."""

    date: FuzzyDate
    event: Any
    note: str


_VERBS = {"A": "added", "M": "changed", "T": "changed", "R": "renamed", "C": "added", "D": "removed"}


def changes_context(site: "Site", limit: int = CHANGES_LIMIT) -> dict[str, Any]:
    """Return the /changes/ page's context: recent commits (when known) and the events' update notes."""
    history = site.history if isinstance(site.history, History) else NOT_LOADED
    aliases = {alias: event for event in site.events for alias in event.aliases}
    commits = [view for change in history.changes(limit) if (view := _change_view(change, site, aliases))]
    updates = sorted((UpdateView(u.date, e, u.note) for e in site.events for u in e.updates),
                     key=lambda u: (u.date.sort_key, u.event.id), reverse=True)[:limit]
    return {"commits": commits, "updates": updates, "note": history.note, "available": history.available}


def _change_view(change: Change, site: "Site", aliases: dict[str, Any]) -> ChangeView | None:
    events, sources = [], []
    for f in change.events:
        # An old id kept as an alias leads to the event as it is now.
        event = (site.by_id.get(f.event_id) if f.status != "D" else None) or aliases.get(f.event_id)
        if event is None and f.status != "D":
            continue  # a draft, or an event removed since: it has no page to show
        former = _stem(f.old_path, "events/") or "" if f.status == "R" else ""
        if event is not None and event.id != f.event_id:
            former = f.event_id
        events.append(Touch(_VERBS.get(f.status, "changed"), f.event_id, event.title if event else f.event_id,
                            f"events/{event.id}/" if event else "", former))
    for f in change.sources:
        source = site.sources.get(f.source_id) if f.status != "D" else None
        sources.append(Touch(_VERBS.get(f.status, "changed"), f.source_id, source.title if source else f.source_id,
                             f"sources/{source.id}/" if source else ""))
    shown_events, shown_sources = events[:FILES_SHOWN], sources[:max(0, FILES_SHOWN - len(events))]
    more = len(events) + len(sources) - len(shown_events) - len(shown_sources)
    settings = any(f.path in ("site.yaml", "tags.yaml") for f in change.files)
    if not (events or sources or settings):
        return None  # only drafts changed: nothing readers can see
    return ChangeView(change.revision, tuple(shown_events), tuple(shown_sources), more, settings)


class _GitFailed(Exception):
    pass


def _git(cwd: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", "-c", "log.showSignature=false", "-c", "core.quotePath=false", *args],
                                cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _GitFailed(str(exc)) from None
    if result.returncode != 0:
        raise _GitFailed(result.stderr.decode("utf-8", "replace"))
    return result.stdout.decode("utf-8", "replace")


def _repository_state(content_dir: Path) -> str:
    if not content_dir.is_dir():
        return NOT_GIT
    try:
        inside = _git(content_dir, "rev-parse", "--is-inside-work-tree", "--is-shallow-repository").split()
    except _GitFailed:
        return NOT_GIT
    if inside[:1] != ["true"]:
        return NOT_GIT
    if inside[1:2] == ["true"]:
        return SHALLOW
    try:
        _git(content_dir, "rev-parse", "--verify", "-q", "HEAD")
    except _GitFailed:
        return NOT_GIT  # a repository without commits yet
    return OK


def _subject(subject: str, body: str) -> str:
    # GitHub's merge commits say "Merge pull request #12 from user/branch"; the pull request's title is in the body.
    match = _MERGE_PR.match(subject.strip())
    title = next((line.strip() for line in body.splitlines() if line.strip()), "")
    if match and title:
        return f"{title} ({match.group(1)})"
    return subject.strip()


def _stem(path: str, folder: str) -> str | None:
    if not path.startswith(folder) or "/" in path[len(folder):]:
        return None
    name = path[len(folder):]
    for suffix in (".yaml", ".txt"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return None
