"""Validate loaded documents into the Site model, collecting every problem."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import MutableMapping
from dataclasses import replace
from pathlib import PurePath
from typing import Any

from . import schema
from .dates import DateError, FuzzyDate, is_before, parse_date
from .diagnostics import Report
from .documents import Document
from .load import RawContent
from .model import (Event, FieldDef, Location, Quote, Site, SiteConfig, Source, Tag, Update)
from .quotes import SourceText

_PLACEHOLDER_DATE = parse_date("0001")
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
        check_kind = _FIELD_CHECKS[spec["type"]]
        values = []
        for i, value in enumerate(spec.get("values", ())):
            probe = Report()
            if schema.check(doc, ("fields", field_id, "values", i), value, schema.Field(check_kind), probe) is None:
                report.extend(probe.items)
            else:
                values.append(value)
        values = tuple(values)
        fields.append(FieldDef(field_id, spec["type"], spec.get("label", field_id), spec.get("unit", ""),
                               values, spec.get("filter", False), spec.get("description", "")))
    options = clean.get("options", {})
    return SiteConfig(
        title=clean["title"], base_url=clean["base_url"], description=clean.get("description", ""),
        language=_language(doc, clean, report) or "en", timezone=timezone, author=clean.get("author", ""),
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
        url=clean.get("url", ""), archive_url=clean.get("archive_url", ""), language=_language(doc, clean, report),
        note=clean.get("note", ""), text=text,
    )


def validate_event(doc: Document, config: SiteConfig | None, report: Report, *,
                   unchecked_fields: frozenset[str] = frozenset()) -> Event | None:
    """Check one event file against the schema and the site's own fields.

    An event with errors in its own values is still returned (with an empty title or a placeholder
    date) so that its references are checked too; the errors keep the site from being built.
    `unchecked_fields` are site fields whose definition is broken: their values are not checked.
    """
    event_id = PurePath(doc.file).stem
    if not _check_id(doc, event_id, report):
        return None
    data = _expect_mapping(doc, report)
    if data is None:
        return None
    errors = len(report.errors)
    clean = schema.check_mapping(doc, (), data, schema.EVENT, report, _misplaced_event_keys(config), partial=True)
    date = _date(doc, ("date",), clean.get("date"), report)
    end_date = _date(doc, ("end_date",), clean.get("end_date"), report)
    if date is None:
        if len(report.errors) == errors:  # pragma: no cover - check_mapping reports a missing date
            report.error(doc.file, (1, 1), "missing-field", "required key 'date' is missing")
        date = _PLACEHOLDER_DATE
    elif end_date is not None and is_before(end_date, date):
        report.error(doc.file, doc.pos(("end_date",)), "end-before-start",
                     f"end_date {end_date.iso} is before date {date.iso}", "swap them or correct the end date")
    details = _details(doc, clean.get("details"), config, report, unchecked_fields)
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
        id=event_id, date=date, title=" ".join(clean.get("title", "").split()), summary=clean.get("summary", ""),
        file=doc.file, end_date=end_date, circa=clean.get("circa", False), tags=tuple(clean.get("tags", [])),
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
    unchecked = _broken_fields(raw.site, config)
    for doc in raw.events:
        event = validate_event(doc, config, report, unchecked_fields=unchecked)
        if event is not None:
            events[event.id] = event
            docs[event.id] = doc
    cross_check(raw, events, docs, tags, sources, report)
    (verify or QuoteVerifier()).verify_all(events, docs, sources, report)
    if config is None or report.errors:
        return None, report
    shown = sorted((e for e in events.values() if drafts or e.status != "draft"), key=lambda e: e.sort_key)
    site = Site(config=config, tags=tags, sources=sources, events=tuple(shown), by_id={e.id: e for e in shown})
    return site, report


def cross_check(raw: RawContent, events: dict[str, Event], docs: dict[str, Document], tags: dict[str, Tag],
                sources: dict[str, Source], report: Report) -> None:
    """Check what spans files: ids and aliases, references, and article texts without a source."""
    check_ids(events, docs, report)
    broken = {key: set(ids) for key, ids in raw.broken.items()}
    if raw.tags is not None and raw.tags.data is not None:
        if isinstance(raw.tags.data, dict):
            broken["tags"] |= {str(key) for key in raw.tags.data} - set(tags)
        else:
            broken["tags"].add("tags.yaml")
    broken["events"] |= {_stem(d.file) for d in raw.events} - set(events)
    broken["sources"] |= {_stem(d.file) for d in raw.sources} - set(sources)
    check_references(events, docs, tags, sources, report, broken)
    check_source_texts(raw, report)


def check_ids(events: dict[str, Event], docs: dict[str, Document], report: Report) -> None:
    """Report aliases that collide with an event id or with another alias."""
    owner: dict[str, str] = {}
    for event_id in sorted(events):
        doc = docs[event_id]
        for i, alias in enumerate(events[event_id].aliases):
            pos = doc.pos(("aliases", i))
            if alias == event_id:
                report.error(doc.file, pos, "duplicate-id", f"alias '{alias}' is this event's own id",
                             "list only former ids under aliases")
            elif alias in events:
                report.error(doc.file, pos, "duplicate-id",
                             f"alias '{alias}' is already the id of another event ({events[alias].file})",
                             "an alias must be a former id that no event uses now")
            elif owner.get(alias) == event_id:
                report.error(doc.file, pos, "duplicate-id", f"alias '{alias}' is listed twice",
                             "remove the repeated entry")
            elif alias in owner:
                report.error(doc.file, pos, "duplicate-id",
                             f"alias '{alias}' is also an alias of event '{owner[alias]}' ({events[owner[alias]].file})",
                             "a former id can redirect to only one event")
            else:
                owner[alias] = event_id


def check_references(events: dict[str, Event], docs: dict[str, Document], tags: dict[str, Tag],
                     sources: dict[str, Source], report: Report,
                     broken: dict[str, set[str]] | None = None) -> None:
    """Report tags, sources and related events that do not exist.

    Ids in `broken` have a file with its own error, so references to them are not reported again.
    """
    broken = broken or {}
    if "tags.yaml" in broken.get("tags", ()):
        tags = _Everything()  # tags.yaml itself is broken: every tag reference would be noise
    kinds = (("tags", tags, "content/tags.yaml", "unknown-tag", "tag", broken.get("tags", set())),
             ("sources", sources, "content/sources/", "unknown-source", "source", broken.get("sources", set())),
             ("related", events, "content/events/", "unknown-event", "event", broken.get("events", set())))
    broken_sources = broken.get("sources", set())
    for event_id, event in events.items():
        doc = docs[event_id]
        for (key, known, where, code, noun, skip), ids in zip(kinds, (event.tags, event.sources, event.related)):
            for i, ref in enumerate(ids):
                if ref not in known and ref not in skip:
                    report.error(doc.file, doc.pos((key, i)), code, f"{noun} '{ref}' is not in {where}",
                                 schema.did_you_mean(ref, list(known)) or _add_hint(key, ref))
        for i, quote in enumerate(event.quotes):
            if quote.source not in sources and quote.source not in broken_sources:
                report.error(doc.file, doc.pos(("quotes", i, "source")), "unknown-source",
                             f"source '{quote.source}' is not in content/sources/",
                             schema.did_you_mean(quote.source, list(sources)) or _add_hint("sources", quote.source))
        if event_id in event.related:
            report.warning(doc.file, doc.pos(("related",)), "self-related", "event lists itself as related")


def check_source_texts(raw: RawContent, report: Report) -> None:
    """Warn about article texts (sources/<id>.txt) that no source file claims."""
    claimed = {_stem(d.file) for d in raw.sources} | raw.broken.get("sources", set())
    for source_id, (file, _text) in sorted(raw.source_texts.items()):
        if source_id not in claimed:
            report.warning(file, (1, 1), "orphan-text", f"no source file {source_id}.yaml goes with this text",
                           f"add content/sources/{source_id}.yaml with at least a title, or rename the .txt file")


def _stem(file: str) -> str:
    """Return PurePath(file).stem of a content file's name, without building a path object (this runs for every file)."""
    name = file[file.rfind("/") + 1:]
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


class _Everything(dict):
    def __contains__(self, key: object) -> bool:
        return True


def _add_hint(key: str, ref: str) -> str:
    if key == "tags":
        return f"add '{ref}' to content/tags.yaml, or remove it here"
    if key == "sources":
        return f"add content/sources/{ref}.yaml, or correct the id"
    return f"check the id: events are named by their file, content/events/{ref}.yaml"


def _broken_fields(site: Document | None, config: SiteConfig | None) -> frozenset[str]:
    fields = site.data.get("fields") if site is not None and isinstance(site.data, dict) else None
    if not isinstance(fields, dict):
        return frozenset()
    return frozenset(str(key) for key in fields) - {f.id for f in (config.fields if config else ())}


def _misplaced_event_keys(config: SiteConfig | None) -> dict[str, str]:
    hints = {key: f"'{key}' belongs to each quote: quotes: - text: ... {key}: ..." for key in schema.QUOTE}
    hints.update({key: f"'{key}' belongs under location:" for key in schema.LOCATION})
    hints["id"] = "an event's id is its file name; rename the file to change it"
    hints["published"] = hints["url"] = "sources are described in content/sources/<id>.yaml and cited by id"
    for f in config.fields if config else ():
        hints[f.id] = f"'{f.id}' is one of the site's fields: put it under details:"
    return hints


class QuoteVerifier:
    """Verify quotes against source texts, indexing each text once and remembering results."""

    def __init__(self, results: MutableMapping[tuple[str, str], Any] | None = None) -> None:
        self._texts: dict[str, SourceText] = {}
        # (source text, quote) -> result; a build passes the on-disk cache's memo (dateline.cache).
        self._results: MutableMapping[tuple[str, str], Any] = {} if results is None else results

    def index(self, texts: list[str], normalised: list[str]) -> None:
        """Take source texts already normalised (quotes.normalise), e.g. on every core before workers fork."""
        for text, done in zip(texts, normalised):
            self._texts[text] = SourceText(text, done)

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


_LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*\Z")
_LANGUAGE_NAMES = {"english": "en", "korean": "ko", "japanese": "ja", "chinese": "zh", "french": "fr",
                   "german": "de", "russian": "ru", "spanish": "es", "arabic": "ar", "portuguese": "pt"}


def _language(doc: Document, clean: dict[str, Any], report: Report) -> str:
    """Return the file's language code, reporting one that is not a BCP 47 tag (it goes into lang=)."""
    language = clean.get("language", "")
    if not language or _LANGUAGE_RE.match(language):
        return language
    code = _LANGUAGE_NAMES.get(language.strip().lower())
    report.error(doc.file, doc.pos(("language",)), "bad-language", f"'{language}' is not a language code",
                 f"write '{code}'" if code else "write a language code such as en, ko or en-GB")
    return ""


_NEEDS = {
    "events": "an event needs at least date, title and summary",
    "sources": "a source needs at least a title",
    "site.yaml": "site.yaml needs at least title and base_url",
}


def _expect_mapping(doc: Document, report: Report) -> dict[str, Any] | None:
    if doc.data is None:
        report.error(doc.file, (1, 1), "empty-file", "file is empty", _NEEDS.get(PurePath(doc.file).parent.name)
                     or _NEEDS.get(PurePath(doc.file).name, ""))
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
    message, _ = schema.explain_id(file_id)
    suggestion = schema.suggest_id(file_id)
    report.error(doc.file, (1, 1), "bad-id", f"the file name is the id, and {message}",
                 schema.ID_HINT + (f"; rename the file to {suggestion}.yaml" if suggestion else ""))
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
             report: Report, unchecked: frozenset[str] = frozenset()) -> tuple[tuple[str, Any], ...]:
    if not values or config is None:
        return ()
    fields = {f.id: f for f in config.fields}
    out = []
    for key, value in values.items():
        path = ("details", key)
        field = fields.get(key)
        if key in unchecked and field is None:
            continue
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
                         schema.did_you_mean(str(clean), [str(v) for v in field.values])
                         or f"add it to the values of {key} under fields: in {config.file}")
            continue
        out.append((key, clean))
    order = {f.id: i for i, f in enumerate(config.fields)}
    return tuple(sorted(out, key=lambda kv: order[kv[0]]))
