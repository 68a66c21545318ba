"""`build.py review BASE`: compare the content at a git revision with the working tree, for a pull request.

BASE's content/ (and templates/, when the site has its own) is exported with
`git archive` into a temporary folder, so the user's working tree and index
are never touched. Both sides go through the ordinary load and validate
stages and are rendered in memory; dateline.review_report turns the
comparison into Markdown fit to post on the pull request.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from .diagnostics import Diagnostic, Report
from .load import Document, RawContent, load_content
from .model import Site
from .pipeline import render_site
from .validate import validate_content, validate_event, validate_site_config

class _Missing:
    """Stands for a key or item that one side does not have."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


class ReviewError(Exception):
    """The comparison cannot be made (unknown revision, not a git repository...): exit status 2."""


@dataclass
class Side:
    """One side of the comparison: loaded, validated and (when valid) ready to render."""

    label: str
    root: Path
    raw: RawContent
    site: Site | None
    report: Report
    events: dict[str, Document] = field(default_factory=dict)
    sources: dict[str, Document] = field(default_factory=dict)

    def text_of(self, source_id: str) -> str | None:
        """Return a source's stored text, from its .txt file or its text: key."""
        if source_id in self.raw.source_texts:
            return self.raw.source_texts[source_id][1]
        doc = self.sources.get(source_id)
        text = doc.data.get("text") if doc is not None and isinstance(doc.data, dict) else None
        return text if isinstance(text, str) else None


@dataclass(frozen=True)
class FieldDiff:
    """One value that differs: `path` such as 'title', 'details.count' or 'quotes[2].text'."""

    path: str
    old: Any
    new: Any


@dataclass
class EventChange:
    """An event added, changed, removed or renamed."""

    kind: str
    id: str
    title: str
    date: str
    old_id: str = ""
    diffs: list[FieldDiff] = field(default_factory=list)
    draft: bool = False
    link_kept: bool | None = None  # renamed/removed: does the old address still work?
    replacement: str = ""  # removed: an added event that looks like its replacement


@dataclass(frozen=True)
class QuoteCheck:
    """The verification result of one added or changed quote."""

    event_id: str
    number: int  # 1-based position in the event's quotes
    text: str
    source: str
    outcome: str  # verified, misquote, warning, unverified, unchecked
    messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceChange:
    kind: str  # added, changed, removed
    id: str
    title: str
    has_archive: bool
    has_text: bool
    text_changed: bool = False


@dataclass
class Review:
    """Everything the report shows."""

    base: Side
    head: Side
    base_commit: str
    events: list[EventChange]
    quotes: list[QuoteCheck]
    sources: list[SourceChange]
    pages: dict[str, list[str]] | None  # added/changed/removed output paths, or None when not rendered
    pages_note: str = ""
    touched: set[str] = field(default_factory=set)  # working-tree files (as diagnostics name them) changed

    @property
    def failed(self) -> bool:
        return bool(self.head.report.errors)


def load_side(label: str, root: Path) -> Side:
    """Load and validate one side's content with the ordinary pipeline stages."""
    raw = load_content(root / "content")
    site, report = validate_content(raw)
    return Side(label, root, raw, site, report,
                {PurePath(d.file).stem: d for d in raw.events}, {PurePath(d.file).stem: d for d in raw.sources})


def compare(base: Side, head: Side, base_commit: str = "") -> Review:
    """Compare two loaded sides: events, quotes, sources and rendered pages."""
    events = diff_events(base, head)
    changed_texts = {sid for sid in head.sources if sid in base.sources and head.text_of(sid) != base.text_of(sid)}
    quotes = check_quotes(base, head, events, changed_texts)
    sources = diff_sources(base, head, changed_texts)
    pages, note = diff_pages(base, head)
    touched = {head.events[c.id].file for c in events if c.kind != "removed"}
    for s in sources:
        if s.kind != "removed":
            touched.add(head.sources[s.id].file)
            if s.id in head.raw.source_texts:
                touched.add(head.raw.source_texts[s.id][0])
    return Review(base, head, base_commit, events, quotes, sources, pages, note, touched)


def diff_values(path: str, old: Any, new: Any) -> list[FieldDiff]:
    """List the differences between two YAML values, descending into mappings and lists of mappings."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        keys = list(old) + [k for k in new if k not in old]
        return [d for k in keys for d in diff_values(f"{path}.{k}" if path else k, old.get(k, MISSING),
                                                     new.get(k, MISSING))]
    if old is MISSING and isinstance(new, list) or new is MISSING and isinstance(old, list):
        old, new = old if isinstance(old, list) else [], new if isinstance(new, list) else []
    if isinstance(old, list) and isinstance(new, list) and all(isinstance(i, dict) for i in old + new):
        return _diff_items(path, old, new)
    return [FieldDiff(path, old, new)]


def _diff_items(path: str, old: list[Any], new: list[Any]) -> list[FieldDiff]:
    # Items present on both sides are unchanged; the rest pair up in order (a changed quote), then
    # what is left over was added or removed.
    kept = list(old)
    added = []
    for i, item in enumerate(new):
        if item in kept:
            kept.remove(item)
        else:
            added.append((i, item))
    removed = [item for item in old if item not in new]
    out = []
    for (i, item), before in zip(added, removed):
        out += diff_values(f"{path}[{i + 1}]", before, item)
    out += [FieldDiff(f"{path}[{i + 1}]", MISSING, item) for i, item in added[len(removed):]]
    out += [FieldDiff(path, item, MISSING) for item in removed[len(added):]]
    return out


def diff_events(base: Side, head: Side) -> list[EventChange]:
    """Classify every event file as added, changed, renamed or removed."""
    changes: dict[str, EventChange] = {}
    for event_id, doc in head.events.items():
        data = _mapping(doc)
        old = base.events.get(event_id)
        if old is None:
            changes[event_id] = EventChange("added", event_id, _text(data, "title"), _text(data, "date"),
                                            draft=data.get("status") == "draft")
        else:
            diffs = diff_values("", _mapping(old), data)
            if diffs:
                changes[event_id] = EventChange("changed", event_id, _text(data, "title"), _text(data, "date"),
                                                diffs=diffs, draft=data.get("status") == "draft")
    aliases = {a: e for e, doc in head.events.items() for a in _mapping(doc).get("aliases") or [] if isinstance(a, str)}
    removed = []
    for event_id, doc in base.events.items():
        if event_id in head.events:
            continue
        data = _mapping(doc)
        heir = aliases.get(event_id)
        if heir is not None and heir in changes and changes[heir].kind == "added":
            new = _mapping(head.events[heir])
            diffs = [d for d in diff_values("", data, new) if d.path != "aliases"]
            changes[heir] = EventChange("renamed", heir, _text(new, "title"), _text(new, "date"), old_id=event_id,
                                        diffs=diffs, link_kept=True)
            continue
        lookalike = next((c.id for c in changes.values() if c.kind == "added" and
                          (c.title, c.date) == (_text(data, "title"), _text(data, "date"))), "")
        removed.append(EventChange("removed", event_id, _text(data, "title"), _text(data, "date"),
                                   link_kept=heir is not None, replacement=heir or lookalike))
    order = {"added": 0, "renamed": 1, "changed": 2}
    return sorted(changes.values(), key=lambda c: (order[c.kind], c.id)) + sorted(removed, key=lambda c: c.id)


def check_quotes(base: Side, head: Side, events: list[EventChange], changed_texts: set[str]) -> list[QuoteCheck]:
    """Report the verification of every quote that is new, changed, or cites a source whose text changed."""
    by_file: dict[str, list[Diagnostic]] = {}
    for d in head.report.items:
        by_file.setdefault(d.file, []).append(d)
    touched = {c.id: c for c in events if c.kind != "removed"}
    config = head.site.config if head.site is not None else validate_site_config(head.raw.site, Report())
    checks = []
    for event_id, doc in sorted(head.events.items()):
        quotes = _mapping(doc).get("quotes")
        if not isinstance(quotes, list):
            continue
        change = touched.get(event_id)
        old_doc = base.events.get(change.old_id or event_id) if change else None
        old_quotes = _mapping(old_doc).get("quotes") if old_doc is not None else None
        old_quotes = old_quotes if isinstance(old_quotes, list) else []
        listed = [i for i, quote in enumerate(quotes) if isinstance(quote, dict) and (
            (change is not None and quote not in old_quotes) or quote.get("source") in changed_texts)]
        # Quotes are verified only when their event is valid; ask the validator rather than guess.
        is_valid = bool(listed) and validate_event(doc, config, Report()) is not None
        checks += [_quote_check(doc, i, quotes[i], by_file.get(doc.file, []), event_id, is_valid) for i in listed]
    return checks


def _quote_check(doc: Document, i: int, quote: dict[str, Any], diagnostics: list[Diagnostic], event_id: str,
                 is_valid: bool) -> QuoteCheck:
    spots = {pos for path, pos in list(doc.marks.items()) + list(doc.key_marks.items()) if path[:2] == ("quotes", i)}
    found = [d for d in diagnostics if (d.line, d.column) in spots]
    messages = tuple(d.message + (f" ({d.hint})" if d.hint else "") for d in found)
    if any(d.is_error for d in found):
        outcome = "misquote" if any(d.code == "misquote" for d in found) else "error"
    elif any(d.code == "unverified-quote" for d in found):
        outcome = "unverified"
    elif not is_valid:
        outcome, messages = "unchecked", ("the event file has errors (see Problems)",)
    else:
        outcome = "verified"
    return QuoteCheck(event_id, i + 1, _text(quote, "text"), _text(quote, "source"), outcome, messages)


def diff_sources(base: Side, head: Side, changed_texts: set[str]) -> list[SourceChange]:
    """List sources added, changed (file or stored text) and removed."""
    out = []
    for source_id, doc in sorted(head.sources.items()):
        data = _mapping(doc)
        old = base.sources.get(source_id)
        kind = "added" if old is None else "changed" if (_mapping(old) != data or source_id in changed_texts) else ""
        if kind:
            out.append(SourceChange(kind, source_id, _text(data, "title"), bool(data.get("archive_url")),
                                    head.text_of(source_id) is not None, source_id in changed_texts))
    for source_id, doc in sorted(base.sources.items()):
        if source_id not in head.sources:
            out.append(SourceChange("removed", source_id, _text(_mapping(doc), "title"), False, False))
    return out


def diff_pages(base: Side, head: Side) -> tuple[dict[str, list[str]] | None, str]:
    """Render both sites in memory and list the output files added, changed and removed."""
    if head.site is None:
        return None, "not compared: the working tree has errors"
    after = render_site(head.site, head.root, Report())
    if after is None:
        return None, "not compared: the working tree's site could not be rendered"
    before = render_site(base.site, base.root, Report()) if base.site is not None else None
    before = before or {}
    note = "" if base.site is not None else f"{base.label} had no valid site, so every page is new"
    return {
        "added": sorted(p for p in after if p not in before),
        "changed": sorted(p for p in after if p in before and before[p] != after[p]),
        "removed": sorted(p for p in before if p not in after),
    }, note


def export_revision(source: Path, revision: str, dest: Path) -> tuple[str, Path]:
    """Write the revision's content/ (and templates/) into dest with git archive; return (commit, root)."""
    _git(source, "rev-parse", "--is-inside-work-tree")
    top = Path(_git(source, "rev-parse", "--show-toplevel").decode().strip())
    prefix = _git(source, "rev-parse", "--show-prefix").decode().strip()
    try:
        commit = _git(source, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").decode().strip()
    except ReviewError:
        raise ReviewError(f"'{revision}' is not a commit in this repository (in CI, check out with "
                          "fetch-depth: 0 so the base branch is there)") from None
    paths = []
    for name in ("content", "templates"):
        try:
            _git(top, "cat-file", "-e", f"{commit}:{prefix}{name}")
            paths.append(prefix + name)
        except ReviewError:
            pass
    if paths:
        archive = _git(top, "archive", "--format=tar", commit, "--", *paths)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(dest, filter="data")
    root = dest / prefix
    (root / "content").mkdir(parents=True, exist_ok=True)
    return commit, root


def review(source: Path, revision: str) -> Review:
    """Compare the content at `revision` with the working tree's."""
    with tempfile.TemporaryDirectory(prefix="dateline-review-") as tmp:
        commit, root = export_revision(source, revision, Path(tmp))
        base = load_side(revision, root)
        head = load_side("working tree", source)
        return compare(base, head, commit)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the review command's arguments."""
    parser.add_argument("base", metavar="BASE", help="git revision to compare with, e.g. origin/main")
    parser.add_argument("--source", default=".", metavar="DIR", help="folder holding content/ (default: .)")
    parser.add_argument("--site-url", metavar="URL", help="address of a preview of this change, to link pages")


def run(args: argparse.Namespace) -> int:
    """Print the Markdown review; exit 1 when the working tree has errors, 2 when it cannot compare."""
    from .review_report import render_review

    source = Path(args.source)
    if not (source / "content").is_dir():
        print(f"build.py review: error: --source {args.source}: there is no content/ folder in it", file=sys.stderr)
        return 2
    try:
        result = review(source, args.base)
    except ReviewError as exc:
        print(f"build.py review: error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render_review(result, site_url=args.site_url))
    return 1 if result.failed else 0


def _git(cwd: Path, *args: str) -> bytes:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ReviewError(f"cannot run git: {exc}") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ReviewError(message[0] if message else f"git {args[0]} failed")
    return result.stdout


def _mapping(doc: Document | None) -> dict[str, Any]:
    return doc.data if doc is not None and isinstance(doc.data, dict) else {}


def _text(data: Any, key: str) -> str:
    value = data.get(key) if isinstance(data, dict) else None
    return " ".join(str(value).split()) if value is not None else ""
