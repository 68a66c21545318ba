"""The content schema: one definition drives validation and the editors' JSON Schema."""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from .diagnostics import Report
from .documents import Document

ID_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?\Z", re.ASCII)
URL_RE = re.compile(r"https?://[^\s<>\"'`]+\Z", re.ASCII | re.IGNORECASE)
FIELD_ID_RE = re.compile(r"[a-z][a-z0-9_]{0,63}\Z", re.ASCII)
FIELD_ID_HINT = "field ids use lowercase letters, digits and underscores, e.g. 'apogee_km'"
ID_HINT = "ids use lowercase letters a-z, digits and hyphens, e.g. '2022-01-14-rail-launch'"
MAX_SAFE_INTEGER = 2 ** 53
"""Numbers beyond this lose digits in JavaScript and JSON readers, so the data files could not carry them."""


@dataclass(frozen=True)
class Field:
    """What one key of a content file may hold.

    kinds: text (plain), markdown, id, date, url, integer, number, boolean,
    enum, list (of `items`), object (with `fields`), mapping (id -> `items`),
    details (values for the site's own fields, typed by site.yaml).
    """

    kind: str
    required: bool = False
    description: str = ""
    items: "Field | None" = None
    fields: "dict[str, Field] | None" = None
    choices: tuple[Any, ...] = ()
    field_keys: bool = False  # mapping keys are field ids (underscores) rather than content ids


def _list_of(kind: str, description: str, **extra: Any) -> Field:
    return Field("list", description=description, items=Field(kind, **extra))


DATE_HELP = "YYYY, YYYY-MM, YYYY-MM-DD or an ISO datetime with offset (2022-01-14T14:41+09:00)"

QUOTE = {
    "text": Field("text", True, "The words exactly as in the source; ... marks an omission, [brackets] an insertion."),
    "source": Field("id", True, "Id of the source the quote is taken from."),
    "speaker": Field("text", description="Who said it; defaults to the source's publisher."),
    "note": Field("text", description="Context for the quote."),
}
UPDATE = {
    "date": Field("date", True, "When the correction or update was made."),
    "note": Field("text", True, "What changed."),
}
LOCATION = {
    "name": Field("text", True, "Place name."),
    "lat": Field("number", description="Latitude in degrees."),
    "lon": Field("number", description="Longitude in degrees."),
}
EVENT = {
    "date": Field("date", True, "When it happened: " + DATE_HELP + "."),
    "end_date": Field("date", description="When it ended (same forms), not before date."),
    "circa": Field("boolean", description="True when the date is approximate."),
    "title": Field("text", True, "Plain-text headline."),
    "summary": Field("markdown", True, "Markdown, in the analyst's own words; raw HTML is not allowed."),
    "tags": _list_of("id", "Tag ids from tags.yaml."),
    "details": Field("details", description="Values for the site's own fields (site.yaml fields:)."),
    "location": Field("object", description="Where it happened.", fields=LOCATION),
    "quotes": Field("list", description="Verbatim quotes from stored sources.",
                    items=Field("object", fields=QUOTE)),
    "sources": _list_of("id", "Ids of sources cited."),
    "related": _list_of("id", "Ids of related events."),
    "status": Field("enum", description="published (default), draft or retracted.",
                    choices=("published", "draft", "retracted")),
    "updates": Field("list", description="Corrections log.", items=Field("object", fields=UPDATE)),
    "aliases": _list_of("id", "Former ids of this event; each keeps a redirect."),
}
SOURCE = {
    "title": Field("text", True, "Title of the article or document."),
    "publisher": Field("text", description="Who published it."),
    "author": Field("text", description="Who wrote it."),
    "published": Field("date", description="Publication date."),
    "accessed": Field("date", description="When it was read."),
    "url": Field("url", description="Where it is online."),
    "archive_url": Field("url", description="An archived copy (web.archive.org, archive.today...)."),
    "language": Field("text", description="Language code, e.g. en."),
    "note": Field("text", description="Anything a reader should know about the source."),
    "text": Field("markdown", description="The article text used to verify quotes (or a sibling <id>.txt)."),
}
TAG = {
    "name": Field("text", True, "Display name."),
    "description": Field("text", description="What the tag covers."),
    "group": Field("id", description="A group of tags, e.g. platform or type."),
}
TAGS = Field("mapping", description="Tag id -> tag.", items=Field("object", fields=TAG))
FIELD_TYPES = ("string", "integer", "number", "boolean", "date")
FIELD_DEF = {
    "type": Field("enum", True, "Value type.", choices=FIELD_TYPES),
    "label": Field("text", description="Heading in the facts table; defaults to the field id."),
    "unit": Field("text", description="Unit shown after values, e.g. km."),
    "values": Field("list", description="Allowed values.", items=Field("scalar")),
    "filter": Field("boolean", description="Offer this field as a filter on the timeline."),
    "description": Field("text", description="What the field means."),
}
OPTIONS = {
    "publish_source_text": Field("boolean", description="Publish sources' stored text on their pages."),
    "home_events": Field("integer", description="How many recent events the home page lists in full."),
    "year_page_size": Field("integer", description="Events per year page before it is split."),
    "feed_size": Field("integer", description="Events in the feeds."),
}
SITE = {
    "title": Field("text", True, "Site title."),
    "description": Field("text", description="One or two sentences for search engines and feeds."),
    "base_url": Field("url", True, "Public address, may include a sub-path: https://example.org/nk-missiles/."),
    "language": Field("text", description="Language code of the content, e.g. en."),
    "timezone": Field("text", description="IANA time zone for local times, e.g. Asia/Seoul."),
    "author": Field("text", description="Author or organisation."),
    "options": Field("object", description="Build options.", fields=OPTIONS),
    "fields": Field("mapping", description="The site's own typed event fields.",
                    items=Field("object", fields=FIELD_DEF), field_keys=True),
}

_TYPE_NAMES = {
    "text": "text", "markdown": "text", "id": "an id", "date": "a date", "url": "a URL",
    "integer": "a whole number", "number": "a number", "boolean": "true or false",
    "list": "a list", "object": "a mapping", "mapping": "a mapping", "details": "a mapping",
    "scalar": "a single value",
}


def describe(value: Any) -> str:
    """Name a YAML value's type the way an analyst would."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def check(doc: Document, path: tuple[Any, ...], value: Any, spec: Field, report: Report) -> Any:
    """Check `value` against `spec`, reporting problems; return the cleaned value or None."""
    kind = spec.kind
    if kind in ("text", "markdown", "date") and isinstance(value, (int, float)) and not isinstance(value, bool):
        # YAML read `1.10`, `0000` or `2022` as a number: use the text as written.
        value = doc.written.get(path, str(value))
    if kind in ("text", "markdown"):
        if isinstance(value, str):
            return value.strip()
    elif kind == "id":
        if isinstance(value, str):
            if ID_RE.match(value):
                return value
            message, hint = explain_id(value)
            report.error(doc.file, doc.pos(path), "bad-id", f"{_key(path)}: {message}", hint)
            return None
    elif kind == "date":
        if isinstance(value, str):
            return value
    elif kind == "url":
        if isinstance(value, str):
            if URL_RE.match(value.strip()):
                return value.strip()
            report.error(doc.file, doc.pos(path), "bad-url", f"'{_clip(value)}' is not an http(s) URL",
                         _url_hint(value))
            return None
    elif kind in ("integer", "number"):
        if isinstance(value, int) and not isinstance(value, bool) or kind == "number" and isinstance(value, float):
            return _number(doc, path, value, report)
    elif kind == "boolean":
        if isinstance(value, bool):
            return value
    elif kind == "scalar":
        if isinstance(value, (str, int, float, bool)):
            return value
    elif kind == "enum":
        if value in spec.choices and isinstance(value, type(spec.choices[0])):
            return value
        shown = f"'{_clip(str(value))}'" if isinstance(value, (str, int, float)) else describe(value)
        report.error(doc.file, doc.pos(path), "bad-value",
                     f"{_key(path)}: {shown} is not one of: {', '.join(map(str, spec.choices))}",
                     did_you_mean(str(value), [str(c) for c in spec.choices])
                     or (f"write one of them, e.g. {spec.choices[0]}" if shown == describe(value) else ""))
        return None
    elif kind == "list":
        if isinstance(value, list):
            out = [check(doc, path + (i,), item, spec.items, report) for i, item in enumerate(value)]
            return [item for item in out if item is not None]
        if isinstance(value, str) and spec.items and spec.items.kind != "object":
            report.error(doc.file, doc.pos(path), "wrong-type", f"{_key(path)} must be a list, not text",
                         f"write it as a list: [{_clip(value)}]")
            return None
    elif kind == "object":
        if isinstance(value, dict):
            return check_mapping(doc, path, value, spec.fields or {}, report)
    elif kind in ("mapping", "details"):
        if isinstance(value, dict):
            if kind == "details":
                return value
            out = {}
            pattern, hint = (FIELD_ID_RE, FIELD_ID_HINT) if spec.field_keys else (ID_RE, ID_HINT)
            for key, item in value.items():
                if not pattern.match(key):
                    message, why = (f"'{key}' is not a valid field id", hint) if spec.field_keys else explain_id(key)
                    report.error(doc.file, doc.key_pos(path + (key,)), "bad-id", message, why)
                    continue
                cleaned = check(doc, path + (key,), item, spec.items, report)
                if cleaned is not None:
                    out[key] = cleaned
            return out
    report.error(doc.file, doc.pos(path), "wrong-type",
                 f"{_key(path)} must be {_TYPE_NAMES[kind]}, not {describe(value)}", _type_hint(spec, value))
    return None


def explain_id(value: str) -> tuple[str, str]:
    """Say why `value` is not a valid id, and suggest one that is."""
    odd = next((c for c in value if not c.isascii()), None)
    if odd is not None:
        name = unicodedata.name(odd, "unnamed character")
        why = (f"'{value}' contains '{odd}' (U+{ord(odd):04X} {name}), which is not an ASCII letter",
               "ids use only a-z, 0-9 and '-'; a look-alike letter from another alphabet must be retyped")
    elif "/" in value or "\\" in value or ".." in value:
        why = f"'{value}' contains a path ('/', '\\' or '..')", "an id names one file or page, not a path"
    elif value != value.lower():
        why = f"'{value}' contains capital letters", "ids are lowercase"
    elif any(c.isspace() for c in value):
        why = f"'{value}' contains spaces", "use hyphens instead of spaces"
    elif not value:
        why = "the id is empty", ID_HINT
    elif len(value) > 100:
        why = f"the id is {len(value)} characters long; the limit is 100", "shorten it"
    elif value.startswith("-") or value.endswith("-"):
        why = f"'{value}' starts or ends with '-'", ID_HINT
    else:
        bad = next((c for c in value if not re.match(r"[a-z0-9-]", c)), "?")
        why = f"'{value}' contains '{bad}'", ID_HINT
    suggestion = suggest_id(value)
    hint = why[1] + (f": '{suggestion}'" if suggestion else "")
    return why[0], hint


# Letters of other alphabets that look like Latin ones, as pasted from web pages and documents.
_LOOK_ALIKES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g", "ο": "o", "ν": "v",
    "τ": "t", "ι": "i", "κ": "k", "ρ": "p", "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "−": "-",
})


def suggest_id(value: str) -> str:
    """Return a valid id close to `value`, or '' when none can be made without losing letters."""
    folded = unicodedata.normalize("NFKD", value.translate(_LOOK_ALIKES).lower())
    if any(c.isalnum() and not c.isascii() for c in folded):
        return ""  # a letter with no Latin counterpart: better no suggestion than a wrong one
    slug = re.sub(r"[^a-z0-9]+", "-", folded.encode("ascii", "ignore").decode()).strip("-")[:100].strip("-")
    return slug if ID_RE.match(slug) and slug != value else ""


def _number(doc: Document, path: tuple[Any, ...], value: int | float, report: Report) -> int | float | None:
    if isinstance(value, float) and not math.isfinite(value):
        report.error(doc.file, doc.pos(path), "bad-number",
                     f"{_key(path)} must be a finite number, not {doc.written.get(path, str(value))}",
                     "write the number, or leave the key out when it is unknown")
        return None
    if abs(value) > MAX_SAFE_INTEGER:
        report.error(doc.file, doc.pos(path), "bad-number",
                     f"{_key(path)} is too large: {doc.written.get(path, str(value))}",
                     f"numbers up to {MAX_SAFE_INTEGER:,} are supported; check for extra digits")
        return None
    return value


def check_mapping(doc: Document, path: tuple[Any, ...], data: dict[str, Any], fields: dict[str, Field],
                  report: Report, elsewhere: dict[str, str] | None = None,
                  partial: bool = False) -> dict[str, Any] | None:
    """Check a mapping's keys (unknown, missing) and each value; None when a required value is bad.

    `elsewhere` maps keys that belong in another place to a hint saying where. With `partial`, the
    good values are returned even when a required one is bad or missing (its error is reported).
    """
    out: dict[str, Any] = {}
    ok = True
    for key, value in data.items():
        spec = fields.get(key)
        if spec is None:
            hint = ((elsewhere or {}).get(key) or did_you_mean(key, list(fields))
                    or f"allowed keys: {', '.join(fields)}")
            where = f" in {_key(path)}" if path else ""
            report.error(doc.file, doc.key_pos(path + (key,)), "unknown-key", f"unknown key '{key}'{where}", hint)
            continue
        if value is None or (spec.required and value == "" and spec.kind in ("text", "markdown")):
            if spec.required:
                report.error(doc.file, doc.key_pos(path + (key,)), "missing-field",
                             f"required key '{_key(path + (key,))}' has no value", spec.description)
                ok = False
            continue
        cleaned = check(doc, path + (key,), value, spec, report)
        if spec.required and cleaned == "":
            report.error(doc.file, doc.pos(path + (key,)), "missing-field",
                         f"required key '{_key(path + (key,))}' has no value", spec.description)
            cleaned = None
        if cleaned is None:
            ok = ok and not spec.required
        else:
            out[key] = cleaned
    for key, spec in fields.items():
        if spec.required and key not in data:
            where = f" in {_key(path)}" if path else ""
            report.error(doc.file, doc.pos(path), "missing-field", f"required key '{key}' is missing{where}",
                         spec.description)
            ok = False
    return out if ok or partial else None


def _key(path: tuple[Any, ...]) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else p for p in path]
    return "".join(p if p.startswith("[") or i == 0 else "." + p for i, p in enumerate(parts)) or "the file"


def did_you_mean(word: str, options: list[str]) -> str:
    """Return "did you mean 'x'?" for the option closest to `word`, or ''."""
    lowered = {o.lower(): o for o in options}
    close = difflib.get_close_matches(str(word).lower(), list(lowered), n=1, cutoff=0.6)
    return f"did you mean '{lowered[close[0]]}'?" if close else ""


def _type_hint(spec: Field, value: Any) -> str:
    kind = spec.kind
    if isinstance(value, bool) and kind in ("text", "markdown", "date", "id", "url", "scalar"):
        return "YAML reads yes/no/on/off/true/false as true or false: put the value in quotes"
    if kind in ("text", "markdown") and isinstance(value, (dict, list)):
        return "text containing ': ' or starting with '[' or '{' must be quoted"
    if kind in ("integer", "number") and isinstance(value, str):
        return "write the number without quotes or units"
    if kind == "integer" and isinstance(value, float):
        return "write a whole number"
    if kind == "boolean":
        return "write true or false"
    if kind == "date":
        return "write " + DATE_HELP
    if kind == "object" and spec.fields:
        return f"write it as a mapping with the keys {', '.join(spec.fields)}"
    if kind == "list" and spec.items and spec.items.kind == "object":
        fields = spec.items.fields or {}
        return f"write a list with one '- ' item per entry, each with the keys {', '.join(fields)}"
    if kind == "list":
        return "write a list: [a, b] or one '- ' item per line"
    if kind in ("mapping", "details"):
        return "write 'key: value' lines, indented under the key" if spec is not TAGS else \
            "write one 'tag-id: {name: Tag name}' line per tag"
    if kind == "id":
        return ID_HINT
    return ""


def _url_hint(value: str) -> str:
    scheme = value.strip().split(":", 1)[0].lower() if ":" in value else ""
    if scheme and scheme not in ("http", "https"):
        return f"only http:// and https:// addresses are allowed, not {scheme}:"
    if any(c.isspace() for c in value.strip()):
        return "a URL cannot contain spaces; encode them as %20"
    odd = next((c for c in value if c in "<>\"'`"), None)
    if odd:
        return f"a URL cannot contain {odd!r}: encode it as %{ord(odd):02X}"
    return "write the full address, starting with https://"


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
