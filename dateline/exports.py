"""Machine-readable outputs: sitemap, robots.txt, feeds, data files and the browser's indexes.

Six files have a part per event (events.json, .csv and .ics, timelinejs.json, index.json and
search.json). Each event's parts are encoded together and, given a memo, kept for the next build under
a key made of everything they are made from, so that after one event changed only its parts are
encoded again and each file is a join of kept parts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

import jinja2

from . import data, feeds, ical, search
from .cache import digest
from .model import Event, Site

PARTS_VERSION = 1
"""Bump when what a part holds changes without Dateline's code changing (the build cache keys on the code)."""


class Parts(NamedTuple):
    """One event's encoded part of each per-event file."""

    record: bytes  # data/events.json
    row: bytes  # data/events.csv
    vevent: bytes  # data/events.ics
    slide: bytes  # data/timelinejs.json
    facets: bytes  # data/index.json
    search: bytes  # data/search.json


def render_exports(site: Site, env: jinja2.Environment, pages: Iterable[str],
                   fragments: MutableMapping[Any, Any] | None = None,
                   event_key: Callable[[Event], bytes] | None = None) -> dict[str, bytes]:
    """Render every non-page output from the site model.

    `pages` are the site's HTML files (for the sitemap). `fragments` is a memo of events' parts kept
    between builds (keys and values are picklable; the memo may hash the keys). `event_key` returns a
    digest of everything in an Event, when the caller has one; without it each event is pickled and hashed.
    """
    return dict(iter_exports(site, env, pages, fragments, event_key))


def iter_exports(site: Site, env: jinja2.Environment, pages: Iterable[str],
                 fragments: MutableMapping[Any, Any] | None = None,
                 event_key: Callable[[Event], bytes] | None = None) -> Iterator[tuple[str, bytes]]:
    """Yield (path, bytes) for each output of render_exports(), rendering each only when asked for.

    A caller that writes each file before asking for the next holds one of the large data files in
    memory at a time, not all of them.
    """
    abs_url = env.globals["abs_url"]
    home = abs_url("")
    text = data.Text(
        html=lambda markdown: str(env.filters["markdown"](markdown)),
        plain=env.filters["plain"],
        when=env.filters["when"],  # remembered per event by the environment (render._memo_by_identity)
        url=lambda event: abs_url(f"events/{event.id}/"),
    )
    entry = env.get_template("partials/feed_entry.html")
    newest = feeds.feed_events(site)
    links = feeds.Links(home=home, atom=abs_url("feed.xml"), json=abs_url("feed.json"), event=text.url)

    def html_of(event: Event) -> str:
        return entry.render(event=event).strip()

    def text_of(event: Event) -> str:
        return text.plain(event.summary)

    parts = event_parts(site, env, text, home, fragments, event_key)
    yield "sitemap.xml", render_sitemap(site, pages)
    yield "robots.txt", render_robots(site)
    yield "feed.xml", feeds.render_atom(site, newest, links, html_of, text_of)
    yield "feed.json", feeds.render_json_feed(site, newest, links, html_of, text_of)
    yield "data/events.json", data.render_events_json(site, text, home, [p.record for p in parts])
    yield "data/events.schema.json", data.EXPORT_SCHEMA.read_bytes()
    yield "data/events.csv", data.render_csv(site, text, [p.row for p in parts])
    yield "data/events.ics", ical.render_ics(site, text, home, [p.vevent for p in parts])
    yield "data/timelinejs.json", data.render_timelinejs(site, text, home, [p.slide for p in parts])
    yield "data/index.json", search.render_filter_index(site, text, [p.facets for p in parts])
    yield "data/search.json", search.render_search_index(site, text, [p.search for p in parts])


def event_parts(site: Site, env: jinja2.Environment, text: data.Text, home: str,
                memo: MutableMapping[Any, Any] | None = None,
                event_key: Callable[[Event], bytes] | None = None) -> list[Parts]:
    """Return every event's parts in timeline order, reusing those the memo holds for the same inputs."""
    columns, host = data.csv_columns(site), ical.calendar_host(home)
    numbers, facets = search.tag_numbers(site), search.filter_fields(site)

    def encode(event: Event) -> Parts:
        return Parts(data.event_json(site, event, text), data.csv_row(site, event, text, columns),
                     ical.vevent(site, event, text, host), data.timeline_slide(site, event, text),
                     search.filter_row(event, text, numbers, facets), search.search_row(site, event, text))

    if memo is None:
        return [encode(event) for event in site.events]
    key_of = event_key or digest
    # What every part may read besides its event: the settings (fields, time zone, base URL) as the
    # site has them and as the environment's filters were made with, and the home URL links start with.
    common = digest((PARTS_VERSION, site.config, env.globals.get("config"), home))
    tags, sources, history = site.tags, site.sources, site.history
    out = []
    for event in site.events:
        # Besides: its commit times (published, updated, DTSTAMP); its tags' numbers and names (index.json,
        # categories, the TimelineJS group, search); its sources' title, publisher and author (the speaker
        # of a quote without one is the publisher, else the title; search lists all three).
        key = (common, key_of(event), feeds.entry_times_key(event, history),
               tuple((numbers[t], tags[t].name) for t in event.tags),
               tuple((s.title, s.publisher, s.author) for s in map(sources.__getitem__, event.cited_sources)))
        found = memo.get(key)
        if found is None:
            found = memo[key] = encode(event)
        out.append(found)
    return out


def render_sitemap(site: Site, pages: Iterable[str]) -> bytes:
    """List every indexable HTML page (not redirects, not the 404 page)."""
    base = site.config.base_url.rstrip("/") + "/"
    redirects = {f"events/{alias}/index.html" for e in site.events for alias in e.aliases}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for path in sorted(pages):
        if not path.endswith("index.html") or path in redirects:
            continue
        lines.append(f"  <url><loc>{escape(base + path[: -len('index.html')])}</loc></url>")
    lines.append("</urlset>\n")
    return "\n".join(lines).encode("utf-8")


def render_robots(site: Site) -> bytes:
    """Allow everything and point crawlers at the sitemap."""
    base = site.config.base_url.rstrip("/") + "/"
    return f"User-agent: *\nAllow: /\n\nSitemap: {base}sitemap.xml\n".encode("utf-8")

