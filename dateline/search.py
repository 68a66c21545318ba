"""Indexes the browser loads on demand: /data/index.json for filters, /data/search.json for search.

Both list events in timeline order and are joined by event id in the browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .data import Text
from .feeds import Encoded, compact_json, json_document
from .model import Event, Site

INDEX_VERSION = 1


def filter_fields(site: Site) -> list[str]:
    """Return the ids of the site fields readers can filter on (`filter: true`)."""
    return [f.id for f in site.config.fields if f.filter]


def facet_value(value: Any) -> str:
    """Return a field value as the text a filter matches, the same in the page and the index."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def tag_numbers(site: Site) -> dict[str, int]:
    """Return each tag's number in index.json: its place in the tags sorted by id."""
    return {t: i for i, t in enumerate(sorted(site.tags))}


def render_filter_index(site: Site, text: Text, rows: Sequence[bytes] | None = None) -> bytes:
    """Render the compact list of every event that the filters work on.

    `rows` are the events' filter_row(), when the caller has them already.
    """
    tag_ids = sorted(site.tags)
    fields = filter_fields(site)
    if rows is None:
        numbers = tag_numbers(site)
        rows = [filter_row(e, text, numbers, fields) for e in site.events]
    doc = {
        "schema_version": INDEX_VERSION,
        "columns": ["id", "date", "display_date", "title", "tags", "fields", "status"],
        "tags": [[t, site.tags[t].name, site.tags[t].group] for t in tag_ids],
        "fields": fields,
        "events": Encoded(rows),
    }
    return json_document(doc)


def filter_row(event: Event, text: Text, numbers: dict[str, int], fields: list[str]) -> bytes:
    """Encode an event's row of index.json; `numbers` is tag_numbers(site), `fields` filter_fields(site)."""
    details = dict(event.details)
    return compact_json([event.id, event.date.iso, text.when(event), event.title, [numbers[t] for t in event.tags],
                         [facet_value(details.get(f)) for f in fields], event.status])


def render_search_index(site: Site, text: Text, rows: Sequence[bytes] | None = None) -> bytes:
    """Render the searchable text of every event: title, summary, quotes, speakers, sources, tags.

    `rows` are the events' search_row(), when the caller has them already.
    """
    doc = {
        "schema_version": INDEX_VERSION,
        "columns": ["id", "text"],
        "events": Encoded([search_row(site, e, text) for e in site.events] if rows is None else rows),
    }
    return json_document(doc)


def search_row(site: Site, event: Event, text: Text) -> bytes:
    """Encode an event's row of search.json."""
    return compact_json([event.id, searchable_text(site, event, text)])


def searchable_text(site: Site, event: Event, text: Text) -> str:
    """Return the words a search should find an event by, one part per line, title first."""
    parts = [event.title, text.plain(event.summary)]
    for quote in event.quotes:
        speaker = quote.speaker or site.sources[quote.source].attribution
        parts.append(f"“{quote.text}” — {speaker}")
    for source_id in event.cited_sources:
        source = site.sources[source_id]
        parts.append(", ".join(p for p in (source.title, source.publisher, source.author) if p))
    parts += [site.tags[t].name for t in event.tags]
    if event.location is not None:
        parts.append(event.location.name)
    fields = {f.id: f for f in site.config.fields}
    parts += [f"{fields[k].label}: {v}" for k, v in event.details if isinstance(v, str)]
    return "\n".join(" ".join(p.split()) for p in parts if p)
