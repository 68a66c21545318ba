"""`build` with the on-disk cache: redo only the work whose inputs changed since the last build.

The same stages as pipeline.build_site, with these savings, each keyed by content so the result is
the bytes a clean build writes:

1. nothing changed (same content, templates, code, options and git commit; output untouched since
   the last build wrote it): print the last report and stop;
2. an event file whose bytes, settings and cited sources are those of an earlier build is not read
   again (dateline.checking); new ones are read, validated and their quotes verified on every core;
3. Markdown texts, each event's list item and its parts of the data files are kept between builds;
4. a page whose template set, context and site-wide inputs are unchanged, and whose file in the output
   is still the one the last build wrote, is not rendered (likewise the feeds and data files);
5. only files whose bytes changed are written: a few in place (the last build's record is dropped
   first, so an interrupted write is followed by a full one); when many pages change, the workers
   that render them write them straight into a new folder beside the output (output.NewSite),
   which gets hard links to the unchanged files and is swapped in atomically.
The large memos are spread over SHARDS files, so one edit rewrites a few small files of the cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2

from . import exports
from .checking import check_content
from .cache import (BuildCache, Fingerprints, ParsedFiles, Uncacheable, bytes_digest, code_version, events_digest,
                    git_state, site_digest, stat_key, tree_digest, walk_files)
from .diagnostics import Diagnostic, Report
from .history import history_for
from .load import load_content, load_static, report_replaced_static
from .markup import MarkdownRenderer
from .output import NewSite, safe_join, update_site, write_site
from .pages import Page, plan_pages
from .parallel import map_in_workers, render_tracked
from .render import TemplateProblem, make_environment, template_dirs
from .timings import lap

SHARDS = 32
"""Files each large memo is spread over: an edit rewrites the few whose entries changed."""
IN_PLACE_FILES = 200
"""Up to this many changed files (or 2% of the site) are rewritten in place; more, and the output is
rebuilt beside the old one and swapped in atomically."""

Manifest = dict[str, tuple[int, int, int, bytes]]  # path -> size, mtime_ns, inode, digest of the bytes


@dataclass
class _Last:
    """What the last successful build read and wrote."""

    inputs: bytes
    diagnostics: list[Diagnostic]
    manifest: Manifest


class OutputFiles(Mapping[str, bytes]):
    """The files of a built site: bytes rendered by this build, the rest read from the output on demand."""

    def __init__(self, out: Path, fresh: dict[str, bytes], paths: list[str]) -> None:
        self.out, self.fresh, self.paths = out, fresh, paths
        self._known = set(paths)

    def __getitem__(self, rel: str) -> bytes:
        if rel in self.fresh:
            return self.fresh[rel]
        if rel not in self._known:  # a set: write_site asks for every file
            raise KeyError(rel)
        return safe_join(self.out, rel).read_bytes()

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)


def build_cached(source: Path, out: Path, cache: BuildCache, *, drafts: bool = False,
                 base_url: str | None = None, strict: bool = False) -> tuple[Report, Mapping[str, bytes] | None]:
    """Check, render and write a site like build_site(), reusing the cache; write nothing if anything is wrong."""
    content, dirs = source / "content", template_dirs(source)
    known = cache.memo("files", shards=SHARDS)
    templates = tree_digest(dirs, known)
    inputs = hashlib.blake2b(
        code_version() + templates + tree_digest([content], known)
        + repr((drafts, base_url, strict, str(out.absolute()), git_state(content))).encode(),
        digest_size=16).digest()
    lap("digest inputs")
    record = cache.memo("output")
    last: _Last | None = record.get("last")
    manifest = last.manifest if last is not None and _is_intact(out, last.manifest) else None
    if last is not None and manifest is not None and last.inputs == inputs:
        report = Report()
        report.extend(last.diagnostics)
        return report, OutputFiles(out, {}, sorted(manifest))

    lap("check output")
    prints = Fingerprints()
    raw = load_content(content, ParsedFiles(cache.memo("parsed")), events=False)  # type: ignore[arg-type]
    lap("load settings, tags, sources")
    site, report = check_content(raw, cache.memo("events", shards=SHARDS), known, drafts=drafts,
                                 prints=prints)
    lap("check events")
    if site is None or (strict and report.warnings):
        return report, None
    del raw  # the parsed documents are not needed past validation: free them before rendering
    cache.release("parsed")
    cache.release("events")
    lap("save checks")
    if base_url:
        site = replace(site, config=replace(site.config, base_url=base_url))
    site = replace(site, history=history_for(site, content))
    lap("history")

    texts = cache.memo("markdown", shards=SHARDS)
    markdown = MarkdownRenderer(cache=texts)
    # Summaries no build has rendered yet: render them on every core first, so that the page workers
    # (each with its own copy of the renderer) do not each render the same ones again.
    missing = [text for text in dict.fromkeys(e.summary for e in site.events) if text not in texts]
    for text, html in zip(missing, map_in_workers(markdown.render, missing)):
        texts[text] = html
    lap("markdown")
    env = make_environment(dirs, site, markdown)
    if cache.folder is not None:
        try:
            (cache.folder / "jinja").mkdir(parents=True, exist_ok=True)
            env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(cache.folder / "jinja"))
        except OSError:
            pass  # compiling every template is slower, not wrong
    site_dir: NewSite | None = None
    try:
        fresh, digests, site_dir = _render(site, env, templates, cache, out, manifest, prints)
        lap("render")
        static = load_static(dirs, content, report)
        report_replaced_static(static, digests, content, report)
        if report.errors:
            return report, None
        for rel, data in static.items():
            if rel not in digests:
                fresh[rel] = data
                digests[rel] = bytes_digest(data)

        # The record goes first: if writing stops half-way, the next build cannot trust the output.
        record["last"] = None
        record.save()
        if site_dir is not None:
            new = _finish(site_dir, out, fresh, digests, manifest)
            site_dir = None
        else:
            new = _write(out, fresh, digests, manifest)
    except TemplateProblem as problem:
        report.add(problem.diagnostic)
        return report, None
    finally:
        if site_dir is not None:
            site_dir.abandon()
    lap("write")
    record["last"] = _Last(inputs, list(report.items), new)
    cache.save()
    lap("save cache")
    return report, OutputFiles(out, fresh, sorted(digests))


def _write(out: Path, fresh: dict[str, bytes], digests: dict[str, bytes], manifest: Manifest | None) -> Manifest:
    """Write the files whose bytes changed (few: in place; many: a new folder swapped in); return the new manifest."""
    changed = {rel: data for rel, data in fresh.items()
               if manifest is None or rel not in manifest or manifest[rel][3] != digests[rel]}
    removed = sorted(rel for rel in manifest or () if rel not in digests)
    if manifest is not None and len(changed) + len(removed) <= max(IN_PLACE_FILES, len(digests) // 50):
        # A few files: change them in place, as a static host's deploy would, rather than relink all.
        update_site(out, changed, removed)
        new = {rel: manifest[rel] for rel in digests if rel not in changed}
    else:
        write_site(OutputFiles(out, fresh, sorted(digests)), out)  # type: ignore[arg-type]
        new, changed = {}, dict.fromkeys(digests)  # type: ignore[arg-type]
    _record(out, changed, digests, new)
    return new


def _finish(site_dir: NewSite, out: Path, fresh: dict[str, bytes], digests: dict[str, bytes],
            manifest: Manifest | None) -> Manifest:
    """Complete a new folder the page workers wrote into, swap it in; return the new manifest."""
    for rel in sorted(digests):
        if rel in site_dir.done:
            continue  # a worker wrote or linked it
        if manifest is not None and _holds(manifest, rel, digests[rel]) and site_dir.link(rel):
            continue
        site_dir.put(rel, fresh[rel] if rel in fresh else safe_join(out, rel).read_bytes())
    site_dir.finish()
    new: Manifest = {}
    _record(out, digests, digests, new)
    return new


def _record(out: Path, paths: Iterable[str], digests: dict[str, bytes], manifest: Manifest) -> None:
    for rel in paths:
        key = stat_key(safe_join(out, rel))
        if key is not None:
            manifest[rel] = (*key, digests[rel])


def _render(site, env: jinja2.Environment, templates: bytes, cache: BuildCache, out: Path,
            last: Manifest | None, prints: Fingerprints) -> tuple[dict[str, bytes], dict[str, bytes], NewSite | None]:
    """Render the pages and exports the output does not already hold.

    Returns (fresh bytes, every digest, the new output folder or None). When many pages need
    rendering, the workers write them straight into a new output folder, so their bytes never
    travel back to this process; it is returned for the caller to complete and swap in.
    """
    manifest = last or {}
    memo = cache.memo("pages", shards=SHARDS)
    common = site_digest(site, templates, prints)
    every: bytes | None = None

    def all_events() -> bytes:
        nonlocal every
        if every is None:
            every = events_digest(site, prints)
        return every

    pages = plan_pages(site)
    lap("plan pages")
    digests: dict[str, bytes] = {}
    todo: list[tuple[Page, bytes | None]] = []
    for page in pages:
        try:
            key = digest_of_page(common, page, prints)
        except Uncacheable:
            todo.append((page, None))
            continue
        entry = memo.get(key)  # (reads the event list, digest of all events then, digest of the bytes)
        if (entry is not None and (not entry[0] or entry[1] == all_events())
                and _holds(manifest, page.path, entry[2])):
            digests[page.path] = entry[2]
        else:
            todo.append((page, key))
    lap(f"page keys ({len(todo)} to render)")
    paths = [page.path for page in pages]
    exports_key = (common, all_events(), tuple(paths))
    exported = cache.memo("exports").get(exports_key)
    if exported is not None and not all(_holds(manifest, rel, d) for rel, d in exported.items()):
        exported = None

    export_digests: dict[str, bytes] = {}

    def render_exports() -> dict[str, bytes]:
        """Render the feeds and data files; into the new folder at once if there is one (then only digests stay)."""
        kept: dict[str, bytes] = {}
        for rel, data in exports.iter_exports(site, env, paths, fragments=cache.memo("export-parts", shards=SHARDS),
                                              event_key=prints.event):
            export_digests[rel] = data_digest = bytes_digest(data)
            if site_dir is None:
                kept[rel] = data
            else:
                if site_dir.previous.get(rel) != data_digest or not site_dir.link(rel):
                    site_dir.put(rel, data)
                site_dir.done.add(rel)
        return kept

    items = env.globals["event_item"]
    items.digest_of = prints.event
    store = cache.memo("items", shards=SHARDS)
    for event in site.events:  # every event's entry is read, so that none is pruned as unused
        event_digest = prints.event(event)
        for level, html in (store.get((common, event_digest)) or {}).items():
            items.stored[(event_digest, level)] = html
    site_dir = None
    if last is None or len(todo) > max(IN_PLACE_FILES, len(pages) // 50):
        site_dir = NewSite(out)
        site_dir.previous = {rel: entry[3] for rel, entry in manifest.items()}
    try:
        rendered, extra = render_tracked([page for page, _ in todo], env, write_to=site_dir,
                                         extra=None if exported is not None else render_exports)
    except BaseException:
        if site_dir is not None:
            site_dir.abandon()
        raise
    levels: dict[bytes, dict[int, str]] = {}
    for (event_digest, level), html in items.new.items():
        levels.setdefault(event_digest, {})[level] = html
    for event_digest, new_levels in levels.items():
        store[(common, event_digest)] = {**(store.get((common, event_digest)) or {}), **new_levels}
    fresh: dict[str, bytes] = {}
    for page, key in todo:
        data, reads_events, digests[page.path] = rendered[page.path]
        if data is not None:
            fresh[page.path] = data
        elif site_dir is not None:
            site_dir.done.add(page.path)
        if key is not None:
            memo[key] = (reads_events, all_events() if reads_events else None, digests[page.path])
    if exported is None:
        fresh.update(extra)
        digests.update(export_digests)
        cache.memo("exports")[exports_key] = export_digests
    else:
        digests.update(exported)
    return fresh, digests, site_dir


def digest_of_page(common: bytes, page: Page, prints: Fingerprints) -> bytes:
    """Key a page by everything its bytes come from, besides the event list it may read."""
    return prints.of((common, page.url, page.template, page.context))


def _holds(manifest: Manifest, rel: str, data_digest: bytes) -> bool:
    entry = manifest.get(rel)
    return entry is not None and entry[3] == data_digest


def _is_intact(out: Path, manifest: Manifest) -> bool:
    """Tell whether the output holds exactly the files the last build wrote, untouched and nothing else."""
    if not out.is_dir():
        return False
    seen = 0
    for rel, entry in walk_files(out):
        recorded = manifest.get(rel)
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            return False
        if recorded is None or (st.st_size, st.st_mtime_ns, st.st_ino) != recorded[:3]:
            return False
        seen += 1
    return seen == len(manifest)

