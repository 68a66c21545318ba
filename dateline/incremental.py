"""Incremental builds: keep what each file gave, and redo only the work that changed files need."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from collections.abc import Iterator, MutableMapping
from typing import Any, Callable, Collection

import jinja2

from . import exports
from .cache import digest
from .diagnostics import Diagnostic, Report
from .history import History, history_for
from .load import (Document, FileCache, RawContent, display_path, load_content, load_static,
                   report_replaced_static)
from .markup import MarkdownRenderer
from .model import Event, Site, SiteConfig, Source
from .pages import plan_pages
from .render import TemplateProblem, make_environment, render_pages, template_dirs
from .validate import QuoteVerifier, cross_check, validate_event, validate_site_config, validate_source, validate_tags
from .validate import _broken_fields  # what validate_content gives validate_event, so the memo can key on it


@dataclass
class Build:
    """What one Builder.build() gave: the whole site, and what changed since the last good build."""

    report: Report
    site: Site | None = None
    files: dict[str, bytes] | None = None  # None when errors kept the last good site
    changed: dict[str, bytes] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Builder:
    """Build one site again and again, redoing only the work that changed files need.

    Parsed files, validated events and sources, quote checks, Markdown and rendered pages are kept
    between builds. A page is rendered again only when its template, its context or the site-wide
    data it reads (settings, tags, sources, git history; the event list only if it reads that)
    changed, so the bytes are those a clean build_site() writes.
    """

    def __init__(self, source: Path, *, drafts: bool = False, base_url: str | None = None) -> None:
        self.source = Path(source)
        self.drafts, self.base_url = drafts, base_url
        self.files: dict[str, bytes] = {}  # the last good site
        self._cache = FileCache()
        self._verifier = QuoteVerifier()
        self._markdown = MarkdownRenderer()
        self._sources: dict[str, _Memo] = {}
        self._events: dict[str, _Memo] = {}
        self._verified: dict[str, _Memo] = {}
        self._config: SiteConfig | None = None
        self._raw: RawContent | None = None
        self._index: ContentIndex | None = None
        self._cited: dict[str, Source] = {}
        self._history: tuple[Any, History] | None = None
        self._render = _RenderState()

    @property
    def config(self) -> SiteConfig | None:
        """Return the settings the last check read from site.yaml, even if other files had errors."""
        return self._config

    def build(self, changed: Collection[Path] | None = None, *, exports: bool = True) -> Build:
        """Check and render the site; on success remember it as the last good one.

        `changed` lists the files saved since the last build, when a watcher knows them (None: look
        at every file). With exports=False the data files and feeds of the last good build are
        kept as they were, for a preview that shows pages first.
        """
        started = time.perf_counter()
        site, report = self.check(changed)
        if site is not None:
            site = replace(site, history=self._history_of(site))
        files = self.render(site, report, exports=exports) if site is not None else None
        if files is None:
            return Build(report, site, seconds=time.perf_counter() - started)
        old = self.files
        changed = {path: data for path, data in files.items() if old.get(path) is not data and old.get(path) != data}
        removed = sorted(path for path in old if path not in files)
        self.files = files
        return Build(report, site, files, changed, removed, time.perf_counter() - started)

    def check(self, changed: Collection[Path] | None = None) -> tuple[Site | None, Report]:
        """Load and validate like check_site(), reusing what unchanged files gave last time."""
        content = self.source / "content"
        raw = None
        if changed is not None and self._raw is not None and self._index is not None:
            raw = reread_content(self._raw, changed, self._cache, self._index)
        if raw is None:
            raw = load_content(content, self._cache)
            self._index = ContentIndex(raw)  # reread_content keeps every file where it is: the index holds
        self._raw = raw
        report = Report()
        report.extend(raw.diagnostics)
        config = validate_site_config(raw.site, report)
        if config is not None and config == self._config:
            config = self._config  # the same object, so that the checks below compare by identity
        self._config = config
        tags = validate_tags(raw.tags, report)
        sources: dict[str, Source] = {}
        memo: dict[str, _Memo] = {}
        for doc in raw.sources:
            text = raw.source_texts.get(PurePath(doc.file).stem)
            source = _remember(self._sources, memo, doc, text, report,
                               lambda r, doc=doc: validate_source(doc, raw.source_texts, r))
            if source is not None:
                sources[source.id] = source
        self._sources, memo = memo, {}
        events: dict[str, Event] = {}
        docs: dict[str, Document] = {}
        unchecked = _broken_fields(raw.site, config)
        for doc in raw.events:
            event = _remember(self._events, memo, doc, (config, unchecked), report,
                              lambda r, doc=doc: validate_event(doc, config, r, unchecked_fields=unchecked))
            if event is not None:
                events[event.id] = event
                docs[event.id] = doc
        self._events = memo
        cross_check(raw, events, docs, tags, sources, report)
        self._verify(events, docs, sources, report)
        if config is None or report.errors:
            return None, report
        shown = sorted((e for e in events.values() if self.drafts or e.status != "draft"), key=self._sort_key)
        site = Site(config=config, tags=tags, sources=sources, events=tuple(shown), by_id={e.id: e for e in shown})
        if self.base_url:
            site = replace(site, config=replace(site.config, base_url=self.base_url))
        return site, report

    def _verify(self, events: dict[str, Event], docs: dict[str, Document], sources: dict[str, Source],
                report: Report) -> None:
        """Verify quotes like QuoteVerifier.verify_all, skipping events whose inputs are unchanged."""
        old, memo = self._verified, {}
        same_sources = sources.keys() == self._cited.keys() and all(
            self._cited[k] is v for k, v in sources.items())
        for event_id, event in events.items():
            if not event.quotes:
                continue
            hit = old.get(event_id)
            if same_sources and hit is not None and hit.subject is event:
                memo[event_id] = hit  # same event, same sources: same outcome
                report.extend(hit.diagnostics)
                events[event_id] = hit.result
                continue
            cited = tuple(sources.get(q.source) for q in event.quotes)

            def verify(probe: Report, event_id: str = event_id) -> Event:
                one = {event_id: events[event_id]}
                self._verifier.verify_all(one, {event_id: docs[event_id]}, sources, probe)
                return one[event_id]

            events[event_id] = _remember(old, memo, event, cited, report, verify, key=event_id)
        self._verified, self._cited = memo, sources

    def _sort_key(self, event: Event) -> Any:
        memo = self._verified.get(event.id) or self._events.get(event.id)
        if memo is not None and memo.result is event:
            if memo.sort_key is None:
                memo.sort_key = event.sort_key
            return memo.sort_key
        return event.sort_key

    def _history_of(self, site: Site) -> History:
        """Return the site's git history, read again only after a commit or a change of ids."""
        key = (_git_head(self.source / "content"), tuple((e.id, e.aliases) for e in site.events))
        if self._history is None or self._history[0] != key:
            self._history = (key, history_for(site, self.source / "content"))
        return self._history[1]

    def render(self, site: Site, report: Report, *, exports: bool = True) -> dict[str, bytes] | None:
        """Render like render_site(), reusing pages whose inputs are unchanged."""
        dirs = template_dirs(self.source)
        try:
            files = self._render.render(site, dirs, self._markdown, exports)
        except TemplateProblem as problem:
            report.add(problem.diagnostic)
            return None
        static = load_static(dirs, self.source / "content", report)
        report_replaced_static(static, files, self.source / "content", report)
        for rel, data in static.items():
            files.setdefault(rel, data)
        return None if report.errors else files


@dataclass
class _Memo:
    """What validating or verifying one file gave, and the inputs it gave it for."""

    subject: Any
    depends: Any
    result: Any
    diagnostics: list[Diagnostic]
    sort_key: Any = None


def _remember(old: dict[str, _Memo], new: dict[str, _Memo], subject: Any, depends: Any, report: Report,
              compute: Callable[[Report], Any], key: str | None = None) -> Any:
    """Return compute()'s result for subject, from `old` when subject and what it depends on are the same."""
    key = key if key is not None else subject.file
    memo = old.get(key)
    if memo is None or memo.subject is not subject or not _same(memo.depends, depends):
        probe = Report()
        memo = _Memo(subject, depends, compute(probe), probe.items)
    new[key] = memo
    report.extend(memo.diagnostics)
    return memo.result


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(x is y or x == y for x, y in zip(a, b))
    return a is b or a == b


class _SiteView:
    """Stands for the Site in templates: forwards to the current one and notes reads of the event list.

    One Jinja environment (and its compiled templates) then serves many builds, and a page that reads
    site.events or site.by_id is known to depend on every event.
    """

    def __init__(self, site: Site) -> None:
        self.current = site
        self.read_events = False

    def __getattr__(self, name: str) -> Any:
        if name in ("events", "by_id"):
            self.read_events = True
        return getattr(self.current, name)


@dataclass
class _Rendered:
    template: str
    context: dict[str, Any]
    reads_events: bool
    data: bytes


class _RenderState:
    """Pages rendered by the last build, and the environment that rendered them."""

    def __init__(self) -> None:
        self.env: jinja2.Environment | None = None
        self.env_key: Any = None
        self.env_reads_events = False
        self.view: _SiteView | None = None
        self.pages: dict[str, _Rendered] = {}
        self.events: tuple[Event, ...] | None = None
        self.exports: tuple[Any, dict[str, bytes]] | None = None
        self.parts: dict[Any, Any] = {}  # the data files' parts of each event (exports.event_parts)

    def render(self, site: Site, dirs: list[Path], markdown: MarkdownRenderer, exports_too: bool) -> dict[str, bytes]:
        """Return every page and export of site; raise TemplateProblem on a template error."""
        events_changed = self.events is None or not _same(self.events, site.events)
        key = (tuple(dirs), _template_files(dirs), site.config, site.tags, site.sources, site.history)
        if self.env is None or not _same(self.env_key, key) or (self.env_reads_events and events_changed):
            self.view = _SiteView(site)
            self.env = make_environment(dirs, self.view, markdown)  # type: ignore[arg-type]
            self.env_key, self.env_reads_events = key, self.view.read_events
            self.pages, self.exports = {}, None
        assert self.view is not None
        self.view.current = site
        self.events = None  # until this render has succeeded
        files: dict[str, bytes] = {}
        rendered: dict[str, _Rendered] = {}
        for page in plan_pages(site):
            path = page.path
            old = self.pages.get(path)
            if (old is None or old.template != page.template or (old.reads_events and events_changed)
                    or not _same_context(old.context, page.context)):
                self.view.read_events = False
                data = render_pages([page], self.env)[path]
                old = _Rendered(page.template, page.context, self.view.read_events, data)
            rendered[path] = old
            files[path] = old.data
        export_key = (site.events, tuple(files))
        if self.exports is None or (exports_too and not _same(self.exports[0], export_key)):
            # Each event's parts of the data files are kept while the event object is: an event that
            # did not change is the same object, so only saved events are encoded again.
            parts = _LastUsed(self.parts)
            self.exports = (export_key, exports.render_exports(site, self.env, files, fragments=parts,
                                                               event_key=_itself))
            self.parts = parts.used
        files.update(self.exports[1])
        self.pages, self.events = rendered, site.events
        return files


def _itself(event: Event) -> Any:
    """An event as the key of its own parts: equal events (the same object, mostly) share them."""
    try:
        hash(event)
    except TypeError:  # a value that cannot be hashed: key by its pickled digest instead
        return digest(event)
    return event


class _LastUsed(MutableMapping[Any, Any]):
    """A memo that offers what the last render used and keeps only what this one uses."""

    def __init__(self, last: dict[Any, Any]) -> None:
        self.last, self.used = last, {}

    def __getitem__(self, key: Any) -> Any:
        if key not in self.used:
            self.used[key] = self.last[key]
        return self.used[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self.used[key] = value

    def __delitem__(self, key: Any) -> None:
        del self.used[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.used)

    def __len__(self) -> int:
        return len(self.used)


def _same_context(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.keys() == b.keys() and all(a[k] is b[k] or a[k] == b[k] for k in a)


def _template_files(dirs: list[Path]) -> tuple[Any, ...]:
    """Return the size and times of every template (not the static assets, which are copied as they are)."""
    found: list[Any] = []
    for folder in dirs:
        for dirpath, dirnames, filenames in os.walk(folder):
            if Path(dirpath) == folder:
                dirnames[:] = [d for d in dirnames if d != "static"]
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                found.append((path, st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns))
                if st.st_mtime_ns > time.time_ns() - FileCache.RACY_NS:
                    found.append(object())  # just saved: it may change again within the clock's tick
    return tuple(found)


class ContentIndex:
    """Where each file of a RawContent sits, by the name the diagnostics show."""

    def __init__(self, raw: RawContent) -> None:
        self.docs = {d.file: ("events", i) for i, d in enumerate(raw.events)}
        self.docs.update({d.file: ("sources", i) for i, d in enumerate(raw.sources)})
        self.docs.update({d.file: (name, 0) for name, d in (("site", raw.site), ("tags", raw.tags)) if d is not None})
        self.texts = {shown: stem for stem, (shown, _) in raw.source_texts.items()}
        self.noted = {d.file for d in raw.diagnostics}


def reread_content(raw: RawContent, changed: Collection[Path], cache: FileCache,
                   index: ContentIndex | None = None) -> RawContent | None:
    """Return raw with the changed files read again, or None when load_content() must run instead.

    This covers a save: content files that loaded cleanly, changed in place and still load cleanly.
    Files that came and went (editors' temporary files), assets, and folders that still hold the
    same names count for nothing. Anything else (a new, deleted or renamed file, a file that now
    fails, a link) needs the checks of a full listing. The result keeps every file where it was
    in raw, so raw's index serves it too.
    """
    root, real_root = raw.root, Path(os.path.realpath(raw.root))
    index = index or ContentIndex(raw)
    docs, texts, noted = index.docs, index.texts, index.noted
    new = replace(raw, events=list(raw.events), sources=list(raw.sources), source_texts=dict(raw.source_texts))
    for changed_path in dict.fromkeys(changed):
        real = Path(os.path.realpath(changed_path.parent)) / changed_path.name
        if real != real_root and real_root not in real.parents:
            continue  # not content (a template, say)
        rel = real.relative_to(real_root)
        if rel.parts[:1] == ("static",):
            continue  # assets are read by load_static on every build
        path = root / rel
        shown = display_path(path)
        if path.is_symlink() or shown in noted:
            return None
        if path.is_dir():
            if rel.parts not in ((), ("events",), ("sources",)) or not _same_names(raw, path, rel):
                return None
        elif not path.exists():
            if shown in docs or shown in texts:
                return None  # deleted
        elif shown in docs:
            doc, problem = cache.load_yaml_file(path)
            if doc is None or problem is not None:
                return None
            bucket, i = docs[shown]
            if bucket in ("site", "tags"):
                setattr(new, bucket, doc)
            else:
                getattr(new, bucket)[i] = doc
        elif shown in texts:
            text, problem = cache.read_text(path, shown)
            if text is None or problem is not None:
                return None
            new.source_texts[texts[shown]] = (shown, text)
        else:
            return None  # a new file
    return new


def _same_names(raw: RawContent, folder: Path, rel: Path) -> bool:
    """Tell whether a content folder holds the names raw knows of, no more and no fewer."""
    try:
        names = {n for n in os.listdir(folder) if not n.startswith(".")}
    except OSError:
        return False
    noted = {d.file for d in raw.diagnostics}
    if not rel.parts:
        return all((name in names) == (doc is not None or display_path(folder / name) in noted)
                   for name, doc in (("site.yaml", raw.site), ("tags.yaml", raw.tags)))
    shown = display_path(folder)
    known = [d.file for d in (raw.events if rel.parts == ("events",) else raw.sources)]
    known += [f for f, _ in raw.source_texts.values()] if rel.parts == ("sources",) else []
    known += [f for f in noted if os.path.dirname(f) == shown]
    return names == {os.path.basename(f) for f in known}


def _git_head(folder: Path) -> str:
    """Return the commit checked out where folder is, or '' (cheap: history is read again when it moves)."""
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.decode("ascii", "replace").strip() if result.returncode == 0 else ""

