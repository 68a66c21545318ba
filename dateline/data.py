"""Downloadable data: /data/events.json, /data/events.csv and /data/timelinejs.json.

The field names written here are a public interface (documented on /data/
and in schema/events-export.schema.json): add fields, never rename them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .dates import FuzzyDate, rfc3339
from .feeds import Encoded, compact_json, entry_times, json_document
from .model import Event, FieldDef, Site

SCHEMA_VERSION = 1
# Published beside events.json as data/events.schema.json; the tests validate exports against it.
EXPORT_SCHEMA = Path(__file__).resolve().parent.parent / "schema" / "events-export.schema.json"
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_BASE_COLUMNS = ("id", "url", "date", "end_date", "circa", "precision", "display_date", "title", "summary",
                    "tags", "location_name", "latitude", "longitude", "sources", "status")


@dataclass(frozen=True)
class Text:
    """How exports turn an event into words: the site's Markdown and date formatting."""

    html: Callable[[str], str]  # Markdown to safe HTML
    plain: Callable[[str], str]  # Markdown to plain text
    when: Callable[[Event], str]  # the event's date as shown on the site
    url: Callable[[Event], str]  # the event's absolute permalink


def event_record(site: Site, event: Event, text: Text) -> dict[str, Any]:
    """Return an event as a plain dict with the stable field names of events.json."""
    times = entry_times(event, site.history)
    return {
        "id": event.id,
        "url": text.url(event),
        "title": event.title,
        "date": event.date.iso,
        "end_date": event.end_date.iso if event.end_date else None,
        "circa": event.circa,
        "precision": event.date.precision,
        "start": rfc3339(event.date),
        "display_date": text.when(event),
        "summary": event.summary.strip(),
        "summary_text": text.plain(event.summary),
        "tags": list(event.tags),
        "details": dict(event.details),
        "location": None if event.location is None else {
            "name": event.location.name, "lat": event.location.lat, "lon": event.location.lon},
        "quotes": [{"text": q.text, "source": q.source, "speaker": q.speaker or site.sources[q.source].attribution,
                    "note": q.note, "verified": q.verified} for q in event.quotes],
        "sources": list(event.cited_sources),
        "related": list(event.related),
        "status": event.status,
        "updates": [{"date": u.date.iso, "note": u.note} for u in event.updates],
        "aliases": list(event.aliases),
        "published": times.published,
        "updated": times.updated,
    }


def event_json(site: Site, event: Event, text: Text) -> bytes:
    """Encode an event's record for events.json, one line of compact JSON."""
    return compact_json(event_record(site, event, text))


def render_events_json(site: Site, text: Text, home: str, records: Sequence[bytes] | None = None) -> bytes:
    """Render every event, with the site's fields, tags and sources, as one JSON document.

    `records` are the events' event_json(), when the caller has them already.
    """
    config = site.config
    doc = {
        "schema_version": SCHEMA_VERSION,
        "title": config.title,
        "description": config.description,
        "url": home,
        "language": config.language,
        "timezone": config.timezone,
        "fields": [_field_record(f) for f in config.fields],
        "tags": {t.id: {"name": t.name, "group": t.group, "description": t.description}
                 for t in sorted(site.tags.values(), key=lambda t: t.id)},
        "sources": {s.id: {"title": s.title, "publisher": s.publisher, "author": s.author,
                           "published": _iso(s.published), "accessed": _iso(s.accessed), "url": s.url,
                           "archive_url": s.archive_url, "language": s.language}
                    for s in sorted(site.sources.values(), key=lambda s: s.id)},
        "events": Encoded([event_json(site, e, text) for e in site.events] if records is None else records),
    }
    return json_document(doc)


def csv_columns(site: Site) -> list[str]:
    """Return the CSV header: the base columns with one column per site field after `tags`."""
    base = list(CSV_BASE_COLUMNS)
    at = base.index("tags") + 1
    return base[:at] + [f.id for f in site.config.fields] + base[at:]


def render_csv(site: Site, text: Text, rows: Sequence[bytes] | None = None) -> bytes:
    """Render one row per event, UTF-8 with a byte order mark so spreadsheets detect the encoding.

    `rows` are the events' csv_row(), when the caller has them already.
    """
    if rows is None:
        columns = csv_columns(site)
        rows = [csv_row(site, e, text, columns) for e in site.events]
    return b"".join(["\ufeff".encode("utf-8"), _csv_line(csv_columns(site)), *rows])


def csv_row(site: Site, event: Event, text: Text, columns: list[str]) -> bytes:
    """Encode an event's row of events.csv, line end included; `columns` is csv_columns(site)."""
    details = dict(event.details)
    location = event.location
    row: dict[str, Any] = {
        "id": event.id, "url": text.url(event), "date": event.date.iso,
        "end_date": event.end_date.iso if event.end_date else "", "circa": event.circa,
        "precision": event.date.precision, "display_date": text.when(event), "title": event.title,
        "summary": text.plain(event.summary), "tags": "; ".join(event.tags),
        "location_name": location.name if location else "",
        "latitude": location.lat if location else None, "longitude": location.lon if location else None,
        "sources": "; ".join(event.cited_sources), "status": event.status,
    }
    row.update({f.id: details.get(f.id) for f in site.config.fields})
    return _csv_line([csv_cell(row[c]) for c in columns])


def _csv_line(cells: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue().encode("utf-8")


def csv_cell(value: Any) -> str:
    """Format one CSV cell; text that a spreadsheet would run as a formula gets a leading apostrophe.

    Numbers are written as numbers and never changed: a negative longitude
    such as -77.03 is data, not a formula.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def render_timelinejs(site: Site, text: Text, home: str, slides: Sequence[bytes] | None = None) -> bytes:
    """Render the events in Knight Lab TimelineJS 3's JSON format, with a title slide.

    `slides` are the events' timeline_slide(), when the caller has them already.
    """
    config = site.config
    intro = f"<p>{_escape(config.description)}</p>" if config.description else ""
    doc: dict[str, Any] = {
        "title": {"text": {"headline": _escape(config.title),
                           "text": intro + f'<p><a href="{_escape(home)}">{_escape(home)}</a></p>'}},
        "events": Encoded([timeline_slide(site, e, text) for e in site.events] if slides is None else slides),
    }
    return json_document(doc)


def timeline_slide(site: Site, event: Event, text: Text) -> bytes:
    """Encode an event's slide for timelinejs.json, one line of compact JSON."""
    link = f'<p><a href="{_escape(text.url(event))}">Sources, quotes and details</a></p>'
    slide: dict[str, Any] = {
        "start_date": _timeline_date(event.date),
        "display_date": text.when(event),
        "text": {"headline": _escape(event.title), "text": text.html(event.summary) + link},
        "unique_id": event.id,
    }
    if event.end_date is not None:
        slide["end_date"] = _timeline_date(event.end_date)
    if event.tags:
        slide["group"] = site.tags[event.tags[0]].name
    return compact_json(slide)


def _timeline_date(d: FuzzyDate) -> dict[str, int]:
    # TimelineJS shows wall-clock times; the site's display_date carries the zone and UTC.
    parts = {"year": d.year, "month": d.month, "day": d.day, "hour": d.hour, "minute": d.minute}
    return {k: v for k, v in parts.items() if v is not None}


def _field_record(f: FieldDef) -> dict[str, Any]:
    return {"id": f.id, "label": f.label, "type": f.type, "unit": f.unit, "values": list(f.values),
            "filter": f.filter, "description": f.description}


def _iso(d: FuzzyDate | None) -> str | None:
    return d.iso if d else None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
