"""Check content for `build`: each event file is read, validated and its quotes verified on every core,
and what that gave is kept in the build cache, keyed by the file's bytes and what it was checked against.

The result equals validate.validate_content()'s: the same per-file checks (validate_event, then the
quotes against their sources), the same cross-file checks (ids, references, article texts) over the
whole site, the same diagnostics. Only the work differs: an event file whose bytes, site settings
and cited sources are those of an earlier build is not read at all.
"""

from __future__ import annotations

import pickle
from collections.abc import MutableMapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from .cache import Fingerprints, bytes_digest, digest
from .diagnostics import Diagnostic, Report
from .documents import Document, parse_yaml
from .load import (RawContent, decode_text, display_path, is_linked_out, load_content, outside_diagnostic,
                   read_bytes)
from .model import Event, Site, SiteConfig, Source
from .quotes import normalise
from .parallel import map_in_workers
from .validate import (QuoteVerifier, _broken_fields, cross_check, validate_event, validate_site_config,
                       validate_source, validate_tags)

_CROSS_CHECKED = frozenset(("aliases", "tags", "sources", "related", "quotes"))
"""The keys whose positions the cross-file checks report at (dateline.validate.cross_check)."""


@dataclass
class EventCheck:
    """What checking one event file gave: the event (validated, quotes verified) and its diagnostics."""

    file: str
    bytes_digest: bytes | None  # of the bytes checked; None when the file could not be read
    event: Event | None  # None when the file did not load or is not an event at all
    diagnostics: list[Diagnostic]
    positions: Document | None  # the file's positions for the cross-file checks; None if it did not load
    cited: tuple[tuple[str, bytes | None], ...] = ()  # (source id, digest of that source) its quotes were checked against


def check_folder(content: Path, *, drafts: bool = False) -> tuple[Site | None, Report]:
    """Load and check a content folder like pipeline.check_site(), the event files on every core (for `check`)."""
    return check_content(load_content(content, events=False), None, None, drafts=drafts)


def check_content(raw: RawContent, memo: MutableMapping[Any, Any] | None,
                  known: MutableMapping[Any, Any] | None = None, *, drafts: bool = False,
                  prints: Fingerprints | None = None) -> tuple[Site | None, Report]:
    """Validate content loaded with load_content(events=False); read and check its event files here.

    `memo` keeps each file's EventCheck (pickled) between builds; `known` is the build cache's record of file
    digests (cache.tree_digest), which saves reading unchanged files. Either may be None. `prints`
    learns each event's digest from what the event was made of, which is cheaper than pickling it.
    """
    report = Report()
    report.extend(raw.diagnostics)
    config = validate_site_config(raw.site, report)
    tags = validate_tags(raw.tags, report)
    sources: dict[str, Source] = {}
    for doc in raw.sources:
        source = validate_source(doc, raw.source_texts, report)
        if source is not None:
            sources[source.id] = source
    unchecked = _broken_fields(raw.site, config)
    context = digest((config, unchecked))
    source_prints = {source_id: digest(source) for source_id, source in sources.items()}

    checks: dict[Path, EventCheck] = {}
    todo: list[Path] = []
    for path in raw.event_files:
        found = None
        recorded = known.get(str(path)) if known is not None else None
        if memo is not None and recorded is not None:
            kept = memo.get(("event", display_path(path), recorded[2], context))
            found = pickle.loads(kept) if kept is not None else None
        if found is not None and all(source_prints.get(source_id) == d for source_id, d in found.cited):
            checks[path] = found
        else:
            todo.append(path)
    root = raw.root.resolve()
    verifier = QuoteVerifier()
    if len(todo) > len(sources):
        # Each worker would otherwise normalise, for itself, the texts of the sources its events quote.
        texts = list(dict.fromkeys(s.text for s in sources.values() if s.text))
        verifier.index(texts, map_in_workers(normalise, texts))
    work = partial(_check_pickled, root=root, config=config, unchecked=unchecked, sources=sources,
                   prints=source_prints, verifier=verifier)
    for path, kept in zip(todo, map_in_workers(work, todo)):
        check = checks[path] = pickle.loads(kept)
        if memo is not None and check.bytes_digest is not None:
            memo[("event", check.file, check.bytes_digest, context)] = kept

    events: dict[str, Event] = {}
    docs: dict[str, Document] = {}
    for path in raw.event_files:
        check = checks[path]
        report.extend(check.diagnostics)
        if check.positions is None:
            raw.broken["events"].add(path.stem)
            continue
        raw.events.append(check.positions)  # cross_check tells broken events by their loaded files
        if check.event is not None:
            if prints is not None and check.bytes_digest is not None:
                prints.know(check.event, digest((check.file, check.bytes_digest, context, check.cited)))
            events[check.event.id] = check.event
            docs[check.event.id] = check.positions
    cross_check(raw, events, docs, tags, sources, report)
    if config is None or report.errors:
        return None, report
    shown = sorted((e for e in events.values() if drafts or e.status != "draft"), key=lambda e: e.sort_key)
    return Site(config=config, tags=tags, sources=sources, events=tuple(shown), by_id={e.id: e for e in shown}), report


def _check_pickled(path: Path, **given: Any) -> bytes:
    """Return check_event_file()'s result pickled where it was made: the memo keeps these very bytes."""
    return pickle.dumps(check_event_file(path, **given), protocol=5)


def check_event_file(path: Path, *, root: Path, config: SiteConfig | None, unchecked: frozenset[str],
                     sources: dict[str, Source], prints: dict[str, bytes], verifier: QuoteVerifier) -> EventCheck:
    """Read, parse and validate one event file and verify its quotes, as validate_content() would."""
    shown = display_path(path)
    if is_linked_out(path, root):
        return EventCheck(shown, None, None, [outside_diagnostic(path)], None)
    data, problem = read_bytes(path, shown)
    if data is None:
        return EventCheck(shown, None, None, [problem] if problem else [], None)
    data_digest = bytes_digest(data)
    text, problem = decode_text(data, shown)
    doc = None
    if text is not None:
        doc, problem = parse_yaml(text, shown)
    if doc is None:
        return EventCheck(shown, data_digest, None, [problem] if problem else [], None)
    probe = Report()
    if problem is not None:
        probe.add(problem)
    event = validate_event(doc, config, probe, unchecked_fields=unchecked)
    cited: tuple[tuple[str, bytes | None], ...] = ()
    if event is not None and event.quotes:
        one = {event.id: event}
        verifier.verify_all(one, {event.id: doc}, sources, probe)
        event = one[event.id]
        cited = tuple(sorted({(q.source, prints.get(q.source)) for q in event.quotes}))
    positions = Document(doc.file, None, marks={p: m for p, m in doc.marks.items() if not p or p[0] in _CROSS_CHECKED})
    return EventCheck(shown, data_digest, event, probe.items, positions, cited)

