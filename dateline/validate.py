"""Validate loaded documents into the Site model, collecting every problem."""

from __future__ import annotations

import zoneinfo
from dataclasses import replace
from pathlib import PurePath
from typing import Any

from . import schema
from .dates import DateError, FuzzyDate, is_before, parse_date
from .diagnostics import Report
from .load import Document, RawContent
from .model import (Event, FieldDef, Location, Quote, Site, SiteConfig, Source, Tag, Update)
from .quotes import SourceText

_FIELD_CHECKS = {
    "string": "text", "integer": "integer", "number": "number", "boolean": "boolean", "date": "date",
}


def validate_site_config(doc: Document | None, report: Report) -> SiteConfig | None:
    """Check site.yaml and return its settings."""
    if doc is None:
        return None
    data = _expect_mapping(doc, report)
    if data is None:
        return None
    clean = schema.check_mapping(doc, (), data, schema.SITE, report)
    if clean is None:
        return None
    timezone = clean.get("timezone", "UTC")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        report.error(doc.file, doc.pos(("timezone",)), "bad-timezone", f"unknown time zone '{timezone}'",
                     "use an IANA name such as Asia/Seoul or UTC")
        timezone = "UTC"
    fields = []
    for field_id, spec in clean.get("fields", {}).items():
        values = tuple(spec.get("values", ()))
        check_kind = _FIELD_CHECKS[spec["type"]]
        for i, value in enumerate(values):
            probe = Report()
            if schema.check(doc, ("fields", field_id, "values", i), value, schema.Field(check_kind), probe) is None:
                report.extend(probe.items)
        fields.append(FieldDef(field_id, spec["type"], spec.get("label", field_id), spec.get("unit", ""),
                               values, spec.get("filter", False), spec.get("description", "")))
    options = clean.get("options", {})
    return SiteConfig(
        title=clean["title"], base_url=clean["base_url"], description=clean.get("description", ""),
        language=clean.get("language", "en"), timezone=timezone, author=clean.get("author", ""),
        publish_source_text=options.get("publish_source_text", False), fields=tuple(fields), file=doc.file,
        options={k: v for k, v in options.items() if k != "publish_source_text"},
    )


def validate_tags(doc: Document | None, report: Report) -> dict[str, Tag]:
    """Check tags.yaml and return its tags by id."""
    if doc is None or doc.data is None:
        return {}
    clean = schema.check(doc, (), doc.data, schema.TAGS, report) or {}
    return {tag_id: Tag(tag_id, t["name"], t.get("description", ""), t.get("group", ""))
            for tag_id, t in clean.items()}


def validate_source(doc: Document, texts: dict[str, tuple[str, str]], report: Report) -> Source | None:
    """Check one source file and attach its stored text."""
    source_id = PurePath(doc.file).stem
    if not _check_id(doc, source_id, report):
        return None
    data = _expect_mapping(doc, report)
    if data is None:
        return None
    clean = schema.check_mapping(doc, (), data, schema.SOURCE, report)
    if clean is None:
        return None
    dates = {key: _date(doc, (key,), clean.get(key), report) for key in ("published", "accessed")}
    text = clean.get("text")
    if source_id in texts:
        if text is not None:
            report.error(doc.file, doc.key_pos(("text",)), "duplicate-text",
                         f"source text is given both here and in {texts[source_id][0]}", "keep only one of them")
        text = texts[source_id][1]
    if not clean.get("archive_url") and clean.get("url"):
        report.warning(doc.file, doc.key_pos(("url",)), "missing-archive",
                       "source has a url but no archive_url",
                       "save it at https://web.archive.org/save and add the copy's address as archive_url")
    return Source(
        id=source_id, title=clean["title"], file=doc.file, publisher=clean.get("publisher", ""),
        author=clean.get("author", ""), published=dates["published"], accessed=dates["accessed"],
        url=clean.get("url", ""), archive_url=clean.get("archive_url", ""), language=clean.get("language", ""),
        note=clean.get("note", ""), text=text,
    )


def validate_event(doc: Document, config: SiteConfig | None, report: Report) -> Event | None:
    """Check one event file against the schema and the site's own fields."""
    event_id = PurePath(doc.file).stem
    if not _check_id(doc, event_id, report):
        return None
    data = _expect_mapping(doc, report)
    if data is None:
        return None
    clean = schema.check_mapping(doc, (), data, schema.EVENT, report)
    if clean is None:
        return None
    date = _date(doc, ("date",), clean["date"], report)
    end_date = _date(doc, ("end_date",), clean.get("end_date"), report)
    if date is None:
        return None
    if end_date is not None and is_before(end_date, date):
        report.error(doc.file, doc.pos(("end_date",)), "end-before-start",
                     f"end_date {end_date.iso} is before date {date.iso}", "swap them or correct the end date")
    details = _details(doc, clean.get("details"), config, report)
    quotes = tuple(
        Quote(q["text"], q["source"], q.get("speaker", ""), q.get("note", ""), line=doc.pos(("quotes", i))[0])
        for i, q in enumerate(clean.get("quotes", []))
    )
    updates = []
    for i, u in enumerate(clean.get("updates", [])):
        when = _date(doc, ("updates", i, "date"), u["date"], report)
        if when is not None:
            updates.append(Update(when, u["note"]))
    location = clean.get("location")
    return Event(
        id=event_id, date=date, title=" ".join(clean["title"].split()), summary=clean["summary"], file=doc.file,
        end_date=end_date, circa=clean.get("circa", False), tags=tuple(clean.get("tags", [])),
        details=details, quotes=quotes, sources=tuple(clean.get("sources", [])),
        related=tuple(clean.get("related", [])), status=clean.get("status", "published"),
        updates=tuple(sorted(updates, key=lambda u: u.date.sort_key)), aliases=tuple(clean.get("aliases", [])),
        location=Location(location["name"], location.get("lat"), location.get("lon")) if location else None,
    )


def validate_content(raw: RawContent, *, drafts: bool = False,
                     verify: "QuoteVerifier | None" = None) -> tuple[Site | None, Report]:
    """Validate everything loaded, cross-check references and verify quotes."""
    report = Report()
    report.extend(raw.diagnostics)
    config = validate_site_config(raw.site, report)
    tags = validate_tags(raw.tags, report)
    sources = {}
    for doc in raw.sources:
        source = validate_source(doc, raw.source_texts, report)
        if source is not None:
            sources[source.id] = source
    events = {}
    docs = {}
    for doc in raw.events:
        event = validate_event(doc, config, report)
        if event is not None:
            events[event.id] = event
            docs[event.id] = doc
    check_ids(events, docs, report)
    check_references(events, docs, tags, sources, report)
    (verify or QuoteVerifier()).verify_all(events, docs, sources, report)
    if config is None or report.errors:
        return None, report
    shown = sorted((e for e in events.values() if drafts or e.status != "draft"), key=lambda e: e.sort_key)
    site = Site(config=config, tags=tags, sources=sources, events=tuple(shown), by_id={e.id: e for e in shown})
    return site, report


def check_ids(events: dict[str, Event], docs: dict[str, Document], report: Report) -> None:
    """Report aliases that collide with an event id or with another alias."""
    owner: dict[str, str] = {}
    for event_id in sorted(events):
        for i, alias in enumerate(events[event_id].aliases):
            doc = docs[event_id]
            if alias in events:
                report.error(doc.file, doc.pos(("aliases", i)), "duplicate-id",
                             f"alias '{alias}' is already the id of another event ({events[alias].file})",
                             "an alias must be a former id that no event uses now")
            elif alias in owner:
                report.error(doc.file, doc.pos(("aliases", i)), "duplicate-id",
                             f"alias '{alias}' is also an alias of event '{owner[alias]}'")
            else:
                owner[alias] = event_id


def check_references(events: dict[str, Event], docs: dict[str, Document], tags: dict[str, Tag],
                     sources: dict[str, Source], report: Report) -> None:
    """Report tags, sources and related events that do not exist."""
    for event_id, event in events.items():
        doc = docs[event_id]
        for key, ids, known, where in (("tags", event.tags, tags, "content/tags.yaml"),
                                       ("sources", event.sources, sources, "content/sources/"),
                                       ("related", event.related, events, "content/events/")):
            for i, ref in enumerate(ids):
                if ref not in known:
                    code = {"tags": "unknown-tag", "sources": "unknown-source", "related": "unknown-event"}[key]
                    report.error(doc.file, doc.pos((key, i)), code, f"{key[:-1] if key != 'related' else 'event'} "
                                 f"'{ref}' is not in {where}", schema.did_you_mean(ref, list(known)))
        for i, quote in enumerate(event.quotes):
            if quote.source not in sources:
                report.error(doc.file, doc.pos(("quotes", i, "source")), "unknown-source",
                             f"source '{quote.source}' is not in content/sources/",
                             schema.did_you_mean(quote.source, list(sources)))
        if event_id in event.related:
            report.warning(doc.file, doc.pos(("related",)), "self-related", "event lists itself as related")


class QuoteVerifier:
    """Verify quotes against source texts, indexing each text once and remembering results."""

    def __init__(self) -> None:
        self._texts: dict[str, SourceText] = {}
        self._results: dict[tuple[str, str], Any] = {}

    def verify_all(self, events: dict[str, Event], docs: dict[str, Document], sources: dict[str, Source],
                   report: Report) -> None:
        """Check every quote of every event; record the outcome on the Quote."""
        for event_id, event in events.items():
            if not event.quotes:
                continue
            doc = docs[event_id]
            quotes = []
            for i, quote in enumerate(event.quotes):
                quotes.append(self._verify_one(doc, i, quote, event, sources.get(quote.source), report))
            events[event_id] = replace(event, quotes=tuple(quotes))

    def _verify_one(self, doc: Document, i: int, quote: Quote, event: Event, source: Source | None,
                    report: Report) -> Quote:
        pos = doc.pos(("quotes", i, "text"))
        if source is None:
            return quote
        if source.published is not None and is_before(source.published, event.date):
            report.warning(doc.file, doc.pos(("quotes", i, "source")), "source-before-event",
                           f"source '{source.id}' was published ({source.published.iso}) before the event "
                           f"({event.date.iso})", "check the event date and the source")
        if not source.text:
            report.warning(doc.file, pos, "unverified-quote",
                           f"quote cannot be verified: source '{source.id}' has no stored text",
                           f"add the article text to {source.file} (text:) or a sibling {source.id}.txt")
            return replace(quote, verified=None)
        result = self._result(source, quote.text)
        for code, message in result.warnings:
            report.warning(doc.file, pos, code, message)
        if not result.verified:
            hint = f"closest passage in {source.id}: “{result.closest}”" if result.closest else ""
            detail = f": {result.difference}" if result.difference else ""
            report.error(doc.file, pos, "misquote",
                         f"quote does not match the text of source '{source.id}'{detail}", hint)
        return replace(quote, verified=result.verified)

    def _result(self, source: Source, text: str) -> Any:
        key = (source.text or "", text)
        if key not in self._results:
            indexed = self._texts.get(source.text or "")
            if indexed is None:
                indexed = self._texts[source.text or ""] = SourceText(source.text or "")
            self._results[key] = indexed.verify(text)
        return self._results[key]


def _expect_mapping(doc: Document, report: Report) -> dict[str, Any] | None:
    if doc.data is None:
        report.error(doc.file, (1, 1), "empty-file", "file is empty", "an event needs at least date, title and summary"
                     if "events" in doc.file else "")
        return None
    if not isinstance(doc.data, dict):
        report.error(doc.file, doc.pos(), "not-mapping",
                     f"the file must hold a mapping of keys to values, not {schema.describe(doc.data)}",
                     "write 'key: value' lines at the top level")
        return None
    return doc.data


def _check_id(doc: Document, file_id: str, report: Report) -> bool:
    if schema.ID_RE.match(file_id):
        return True
    report.error(doc.file, (1, 1), "bad-id", f"file name '{file_id}' is not a valid id",
                 schema.ID_HINT + "; rename the file")
    return False


def _date(doc: Document, path: tuple[Any, ...], value: Any, report: Report) -> FuzzyDate | None:
    if value is None:
        return None
    try:
        return parse_date(str(value))
    except DateError as exc:
        report.error(doc.file, doc.pos(path), exc.code, exc.message, exc.hint or schema.DATE_HELP)
        return None


def _details(doc: Document, values: dict[str, Any] | None, config: SiteConfig | None,
             report: Report) -> tuple[tuple[str, Any], ...]:
    if not values or config is None:
        return ()
    fields = {f.id: f for f in config.fields}
    out = []
    for key, value in values.items():
        path = ("details", key)
        field = fields.get(key)
        if field is None:
            report.error(doc.file, doc.key_pos(path), "unknown-field", f"'{key}' is not one of the site's fields",
                         schema.did_you_mean(key, list(fields)) or f"declare it under fields: in {config.file}")
            continue
        if value is None:
            continue
        clean = schema.check(doc, path, value, schema.Field(_FIELD_CHECKS[field.type]), report)
        if clean is None:
            continue
        if field.type == "date" and _date(doc, path, clean, report) is None:
            continue
        if field.values and clean not in field.values:
            report.error(doc.file, doc.pos(path), "bad-value",
                         f"'{clean}' is not an allowed value of {key}: {', '.join(map(str, field.values))}",
                         schema.did_you_mean(str(clean), [str(v) for v in field.values]))
            continue
        out.append((key, clean))
    order = {f.id: i for i, f in enumerate(config.fields)}
    return tuple(sorted(out, key=lambda kv: order[kv[0]]))
