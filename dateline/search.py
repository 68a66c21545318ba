"""Indexes the browser loads on demand: /data/index.json for filters, /data/search.json for search.

Both list events in timeline order and are joined by event id in the browser.
"""

from __future__ import annotations

import json
from typing import Any

from .data import Text
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


def render_filter_index(site: Site, text: Text) -> bytes:
    """Render the compact list of every event that the filters work on."""
    tag_ids = sorted(site.tags)
    tag_number = {t: i for i, t in enumerate(tag_ids)}
    fields = filter_fields(site)
    events = []
    for event in site.events:
        details = dict(event.details)
        events.append([event.id, event.date.iso, text.when(event), event.title,
                       [tag_number[t] for t in event.tags], [facet_value(details.get(f)) for f in fields],
                       event.status])
    doc = {
        "schema_version": INDEX_VERSION,
        "columns": ["id", "date", "display_date", "title", "tags", "fields", "status"],
        "tags": [[t, site.tags[t].name, site.tags[t].group] for t in tag_ids],
        "fields": fields,
        "events": events,
    }
    return _compact(doc)


def render_search_index(site: Site, text: Text) -> bytes:
    """Render the searchable text of every event: title, summary, quotes, speakers, sources, tags."""
    doc = {
        "schema_version": INDEX_VERSION,
        "columns": ["id", "text"],
        "events": [[e.id, searchable_text(site, e, text)] for e in site.events],
    }
    return _compact(doc)


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


def _compact(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
