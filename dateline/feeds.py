"""Feeds: Atom 1.0 at /feed.xml and JSON Feed 1.1 at /feed.json, newest events first.

Also the layout every JSON file shares (json_document), here because the data files import feeds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Callable
from xml.sax.saxutils import escape, quoteattr

from .dates import rfc3339
from .model import Event, Site

FEED_SIZE = 50
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
_EPOCH = "1970-01-01T00:00:00Z"  # the feed's updated time when it has no entries
# One encoder for every JSON file: compact, so json runs its C encoder (indent= is pure Python, seconds at
# 10,000 events); json_document() puts the line breaks in.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(frozen=True)
class EntryTimes:
    """When an entry was first published and last changed, as RFC 3339 UTC timestamps."""

    published: str
    updated: str


@dataclass(frozen=True)
class Links:
    """Absolute URLs the feeds point at."""

    home: str
    atom: str
    json: str
    event: Callable[[Event], str]


def entry_times(event: Event, history: Any = None) -> EntryTimes:
    """Pick an event's published and updated times: the one place feeds, data files and pages ask.

    With git history (dateline.history), the first and last commits that
    touched the event. Without it, content alone: the event's own date is its
    publication time and its latest correction (if later) its update time.
    Either way the same input gives the same bytes.
    """
    record = _committed(event, history)
    if record is not None:
        return EntryTimes(record.first.rfc3339, max(record.first.rfc3339, record.last.rfc3339))
    published = rfc3339(event.date)
    # Same-format UTC timestamps order correctly as strings.
    updated = max([published, *(rfc3339(u.date) for u in event.updates)])
    return EntryTimes(published, updated)


def entry_times_key(event: Event, history: Any = None) -> Any:
    """Return what entry_times(event, history) reads besides the event: its first and last commit times, if any."""
    record = _committed(event, history)
    return None if record is None else (record.first.when, record.last.when)


def _committed(event: Event, history: Any) -> Any:
    return history.for_event(event.id) if history is not None and hasattr(history, "for_event") else None


def feed_events(site: Site) -> list[Event]:
    """Return the newest events for the feeds, newest first (option feed_size)."""
    size = site.config.option("feed_size", FEED_SIZE)
    return list(reversed(site.events[-size:]))


def render_atom(site: Site, entries: list[Event], links: Links, html_of: Callable[[Event], str],
                text_of: Callable[[Event], str]) -> bytes:
    """Render an Atom 1.0 feed of the given events."""
    config = site.config
    updated = max((entry_times(e, site.history).updated for e in entries), default=_EPOCH)
    author = config.author or config.title
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(config.language)}>',
           f"  <id>{escape(links.home)}</id>",
           f"  <title>{escape(config.title)}</title>"]
    if config.description:
        out.append(f"  <subtitle>{escape(config.description)}</subtitle>")
    out += [f"  <updated>{updated}</updated>",
            f"  <author><name>{escape(author)}</name></author>",
            f"  <link rel=\"self\" type=\"application/atom+xml\" href={quoteattr(links.atom)}/>",
            f"  <link rel=\"alternate\" type=\"text/html\" href={quoteattr(links.home)}/>",
            "  <generator>Dateline</generator>"]
    for event in entries:
        times = entry_times(event, site.history)
        permalink = links.event(event)
        out += ["  <entry>",
                f"    <id>{escape(permalink)}</id>",
                f"    <title>{escape(_entry_title(event))}</title>",
                f"    <link rel=\"alternate\" type=\"text/html\" href={quoteattr(permalink)}/>",
                f"    <published>{times.published}</published>",
                f"    <updated>{times.updated}</updated>"]
        out += [f"    <category term={quoteattr(t)} label={quoteattr(site.tags[t].name)}/>" for t in event.tags]
        out += [f"    <summary type=\"text\">{escape(text_of(event))}</summary>",
                f"    <content type=\"html\">{escape(html_of(event))}</content>",
                "  </entry>"]
    out.append("</feed>\n")
    return "\n".join(out).encode("utf-8")


def render_json_feed(site: Site, entries: list[Event], links: Links, html_of: Callable[[Event], str],
                     text_of: Callable[[Event], str]) -> bytes:
    """Render a JSON Feed 1.1 of the given events."""
    config = site.config
    feed: dict[str, object] = {
        "version": JSON_FEED_VERSION,
        "title": config.title,
        "home_page_url": links.home,
        "feed_url": links.json,
        "language": config.language,
        "authors": [{"name": config.author or config.title}],
    }
    if config.description:
        feed["description"] = config.description
    items = []
    for event in entries:
        times = entry_times(event, site.history)
        item: dict[str, object] = {
            "id": links.event(event),
            "url": links.event(event),
            "title": _entry_title(event),
            "content_html": html_of(event),
            "summary": text_of(event),
            "date_published": times.published,
            "date_modified": times.updated,
        }
        if event.tags:
            item["tags"] = [site.tags[t].name for t in event.tags]
        items.append(item)
    feed["items"] = items
    return json_document(feed)


def _entry_title(event: Event) -> str:
    return f"[Retracted] {event.title}" if event.status == "retracted" else event.title


@dataclass(frozen=True)
class Encoded:
    """A JSON array whose elements are already encoded, one compact UTF-8 text each."""

    items: Sequence[bytes]


def compact_json(value: Any) -> bytes:
    """Encode a value as compact JSON in UTF-8, on one line."""
    return _encode(value).encode("utf-8")


def json_document(doc: dict[str, Any]) -> bytes:
    """Encode a JSON object one member a line, each element of an array or object member on a line of its own.

    Line by line the files diff well, and every line is compact JSON from the C encoder. Members that
    are Encoded arrays are joined as they are (the data files pass each event's record that way); arrays
    and objects of plain values stay on one line.
    """
    out = []  # joined once at the end: the events members are tens of megabytes, each copy counts
    for key, value in doc.items():
        out.append(b",\n" if out else b"{\n")
        out.append(compact_json(key) + b":")
        if isinstance(value, Encoded):
            items, brackets = value.items, (b"[", b"]")
        elif isinstance(value, list) and _holds_containers(value):
            items, brackets = [compact_json(v) for v in value], (b"[", b"]")
        elif isinstance(value, dict) and _holds_containers(value.values()):
            items, brackets = [compact_json(k) + b":" + compact_json(v) for k, v in value.items()], (b"{", b"}")
        else:
            out.append(compact_json(value))
            continue
        out += [brackets[0], b"\n", b",\n".join(items), b"\n", brackets[1]] if items else brackets
    out.append(b"\n}\n" if out else b"{}\n")
    return b"".join(out)


def _holds_containers(values: Any) -> bool:
    return any(isinstance(v, (dict, list)) for v in values)
