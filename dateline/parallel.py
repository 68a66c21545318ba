"""Render pages on every core: forked workers share the parent's environment, results merge in page order."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import sys
from typing import Any, Callable, Iterator

import jinja2

from .cache import bytes_digest
from .diagnostics import Diagnostic
from .output import NewSite
from .pages import Page
from .render import EventItems, TemplateProblem, render_pages

MIN_PAGES = 400
"""Below this many pages, starting workers costs more than it saves."""
CHUNK = 64
"""Event pages per task."""
LIST_CHUNK = 4
"""List pages (home, years, tags, sources) per task: each shows up to hundreds of events."""

Rendered = tuple["bytes | None", bool, bytes]
"""A rendered page: its bytes (None once written to the new site), whether it read site.events, their digest."""

# What forked workers inherit: set just before the pool starts, cleared after.
_shared: tuple[list[Page], jinja2.Environment, Any] | None = None


class ReadsTracker:
    """Stands for the Site in templates and notes whether a page read the event list."""

    def __init__(self, site: Any) -> None:
        self._site = site
        self.read_events = False

    def __getattr__(self, name: str) -> Any:
        if name in ("events", "by_id"):
            self.read_events = True
        return getattr(self._site, name)


def jobs_wanted(pages: int) -> int:
    """Return how many processes to render with: DATELINE_JOBS, else one per core for large sites."""
    wanted = os.environ.get("DATELINE_JOBS", "")
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    if pages < MIN_PAGES or sys.platform == "win32" or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def render_tracked(pages: list[Page], env: jinja2.Environment, jobs: int | None = None,
                   extra: Callable[[], dict[str, bytes]] | None = None, write_to: NewSite | None = None
                   ) -> tuple[dict[str, Rendered], dict[str, bytes]]:
    """Render pages, noting for each whether it read site.events; also run `extra` (e.g. the exports).

    Returns ({path: (bytes, read_events, digest of the bytes)} in page order, extra()). With more than
    one job the work is split over forked processes; the bytes are those a single process gives.
    With `write_to`, whichever process rendered a page writes it there (or links it, when its digest
    is the one write_to.previous records) and sends back None for its bytes. Raises the
    TemplateProblem of the first failing page in page order.
    """
    global _shared
    jobs = jobs or jobs_wanted(len(pages))
    tracker = ReadsTracker(env.globals["site"])
    env.globals["site"] = tracker
    try:
        if jobs <= 1:
            return _render_range(pages, env, tracker, 0, len(pages), write_to), (extra() if extra else {})
        _compile_all(env)
        tasks: list[Any] = _page_tasks(pages)
        _shared = (pages, env, (tracker, write_to))
        with _pool(jobs) as pool:
            pending = pool.map_async(_work, tasks, chunksize=1)
            # The exports run here meanwhile, so that what they add to the build cache's memos stays.
            extras = extra() if extra else {}
            results = pending.get()
    finally:
        env.globals["site"] = tracker._site
        _shared = None
    parts: dict[int, dict[str, Rendered]] = {}
    items = env.globals.get("event_item")
    for task, result in zip(tasks, results):
        if isinstance(result, Diagnostic):
            raise TemplateProblem(result)
        parts[task[1]], new_items = result
        if isinstance(items, EventItems):
            items.new.update(new_items)
    rendered: dict[str, Rendered] = {}
    for start in sorted(parts):  # back in page order, whatever order the tasks ran in
        rendered.update(parts[start])
    return rendered, extras


def _page_tasks(pages: list[Page]) -> list[tuple[str, int, int]]:
    """Split pages into tasks, the lists of many events first and in small chunks, so that both cores
    finish together rather than one waiting on the last heavy list page."""
    tasks: list[tuple[str, int, int]] = []
    heavy: list[tuple[str, int, int]] = []
    start = 0
    while start < len(pages):
        is_list = _is_list(pages[start])
        stop = start + 1
        while stop < len(pages) and stop - start < (LIST_CHUNK if is_list else CHUNK) and _is_list(pages[stop]) == is_list:
            stop += 1
        (heavy if is_list else tasks).append(("pages", start, stop))
        start = stop
    return heavy + tasks


def _is_list(page: Page) -> bool:
    return "groups" in page.context or "events" in page.context


def map_in_workers(func: Callable[[Any], Any], items: list[Any], jobs: int | None = None) -> list[Any]:
    """Return [func(item) for item in items], computed by forked workers when there are enough items."""
    global _shared
    jobs = jobs or jobs_wanted(len(items))
    if jobs <= 1 or len(items) < 2 * CHUNK:
        return [func(item) for item in items]
    _shared = (items, func, None)  # type: ignore[assignment]
    try:
        with _pool(jobs) as pool:
            parts = pool.map(_map_range, [(start, min(start + CHUNK, len(items)))
                                          for start in range(0, len(items), CHUNK)], chunksize=1)
    finally:
        _shared = None
    return [result for part in parts for result in part]


@contextlib.contextmanager
def _pool(jobs: int) -> Iterator[Any]:
    """A pool of forked workers. The parent's objects are moved out of the collector's reach first, so
    that no collection in a worker writes to (and so copies) the memory it shares with the parent."""
    gc.freeze()
    try:
        # A worker collects its own garbage, even when the parent runs without a collector (dateline.cli);
        # it inherits the parent's thresholds.
        with multiprocessing.get_context("fork").Pool(jobs, initializer=gc.enable) as pool:
            yield pool
    finally:
        gc.unfreeze()


def _map_range(span: tuple[int, int]) -> list[Any]:
    assert _shared is not None
    items, func, _ = _shared
    return [func(item) for item in items[span[0]:span[1]]]  # type: ignore[operator]


def _compile_all(env: jinja2.Environment) -> None:
    """Compile every template once, before forking, rather than once in each worker."""
    for name in env.list_templates(filter_func=lambda n: not n.startswith("static/")):
        try:
            env.get_template(name)
        except Exception:  # noqa: BLE001 - an unused broken template is not this build's problem
            pass


def _work(task: tuple[Any, ...]) -> Any:
    assert _shared is not None
    pages, env, (tracker, write_to) = _shared
    try:
        items = env.globals.get("event_item")
        if isinstance(items, EventItems):
            items.new = {}  # this worker's own, to send back with its pages
        rendered = _render_range(pages, env, tracker, task[1], task[2], write_to)
        return rendered, items.new if isinstance(items, EventItems) else {}
    except TemplateProblem as problem:
        return problem.diagnostic  # the exception itself does not survive pickling


def _render_range(pages: list[Page], env: jinja2.Environment, tracker: ReadsTracker, start: int,
                  stop: int, write_to: NewSite | None = None) -> dict[str, Rendered]:
    out: dict[str, Rendered] = {}
    for page in pages[start:stop]:
        tracker.read_events = False
        data = render_pages([page], env)[page.path]
        digest = bytes_digest(data)
        if write_to is not None:
            if write_to.previous.get(page.path) != digest or not write_to.link(page.path):
                write_to.put(page.path, data)
            out[page.path] = (None, tracker.read_events, digest)
        else:
            out[page.path] = (data, tracker.read_events, digest)
    return out
