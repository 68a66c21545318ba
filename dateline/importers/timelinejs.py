"""`build.py import timelinejs FILE`: Knight Lab TimelineJS JSON, or its Google Sheets template as CSV, to event files.

Slides become events; groups and eras become tags (an era's tag goes on every
event that starts within it). Times carry no zone in TimelineJS, so they are
read as local times in the site's time zone. Every row that cannot become a
valid event is reported with its number as the spreadsheet shows it (the
header is row 1), or its position in the JSON's events list. Importing the
/data/timelinejs.json that Dateline writes gives back the same events: ids,
titles, dates, circa, summaries and first tags.
"""

from __future__ import annotations

import csv
import io
import json
import re
import textwrap
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from .. import schema
from ..dates import DateError, FuzzyDate, is_before, parse_date
from ..diagnostics import Report
from ..load import parse_yaml
from ..markup import MarkdownRenderer
from ..model import SiteConfig
from ..scaffold import DRAFT_SUMMARY, block, free_id, scalar, slugify
from ..validate import validate_event
from .html_markdown import html_to_markdown, html_to_text

SHEET_COLUMNS = ("Year", "Month", "Day", "Time", "End Year", "End Month", "End Day", "End Time", "Display Date",
                 "Headline", "Text", "Media", "Media Credit", "Media Caption", "Media Thumbnail", "Alt Text", "Type",
                 "Group", "Background")
_CIRCA = re.compile(r"^\s*(c\.|ca\.|circa\b|about\b|around\b|approx)", re.IGNORECASE)
_MARKDOWN = MarkdownRenderer()
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([AaPp]\.?[Mm]\.?)?\s*$")


class ImportError_(Exception):
    """The file cannot be read at all (exit status 2)."""


@dataclass
class Slide:
    """One TimelineJS slide or spreadsheet row, before conversion."""

    label: str  # "row 7" or "event 3"
    kind: str  # event, era or title
    start: dict[str, Any]
    end: dict[str, Any]
    headline: str  # HTML
    text: str  # HTML
    display_date: str = ""
    group: str = ""
    unique_id: str = ""
    dropped: tuple[str, ...] = ()  # fields with values Dateline has no place for


@dataclass
class Imported:
    """The outcome of converting a file: event files' text by id, new tags, and rows not converted."""

    events: dict[str, str] = field(default_factory=dict)
    tags: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (name, tag group)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (label, message)
    notes: list[tuple[str, str]] = field(default_factory=list)
    skipped: int = 0  # title slides and blank rows


def read_file(path: Path) -> list[Slide]:
    """Read a TimelineJS JSON file or a Google Sheets template CSV, by content."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ImportError_(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ImportError_(f"{path} is not UTF-8 text; export it again as UTF-8") from None
    if text.lstrip().startswith("{"):
        try:
            return read_json(json.loads(text))
        except json.JSONDecodeError as exc:
            raise ImportError_(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    return read_csv(text)


def read_json(doc: Any) -> list[Slide]:
    """Read TimelineJS JSON: {title, events: [...], eras: [...]}."""
    if not isinstance(doc, dict) or not isinstance(doc.get("events"), list):
        raise ImportError_("not a TimelineJS file: it has no \"events\" list")
    if doc.get("scale") == "cosmological":
        raise ImportError_("cosmological-scale timelines (millions of years) cannot be imported: "
                           "Dateline dates run from year 1 to 9999")
    slides = []
    for kind, items in (("event", doc["events"]), ("era", doc.get("eras") or [])):
        for i, item in enumerate(items if isinstance(items, list) else []):
            item = item if isinstance(item, dict) else {}
            text = item.get("text") if isinstance(item.get("text"), dict) else {}
            start = item.get("start_date") if isinstance(item.get("start_date"), dict) else {}
            dropped = tuple(k for k in ("media", "background") if item.get(k))
            slides.append(Slide(
                f"{kind} {i + 1}" + (f" ({item['unique_id']})" if isinstance(item.get("unique_id"), str) else ""),
                kind, start, item.get("end_date") if isinstance(item.get("end_date"), dict) else {},
                str(text.get("headline") or ""), str(text.get("text") or ""),
                str(item.get("display_date") or start.get("display_date") or ""), str(item.get("group") or ""),
                str(item.get("unique_id") or ""), dropped))
    return slides


def read_csv(text: str) -> list[Slide]:
    """Read the Google Sheets template exported as CSV; the header is row 1."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ImportError_("the file is empty")
    header = {name.strip().lower(): i for i, name in enumerate(rows[0])}
    missing = [c for c in ("Year", "Headline") if c.lower() not in header]
    if missing:
        raise ImportError_(f"row 1 has no {' or '.join(missing)} column: is this the TimelineJS template "
                           f"(columns {', '.join(SHEET_COLUMNS[:4])}, ..., Headline, Text, ...)?")

    slides = []
    for number, row in enumerate(rows[1:], start=2):
        def cell(name: str) -> str:
            i = header.get(name.lower())
            return row[i].strip() if i is not None and i < len(row) else ""

        if not any(value.strip() for value in row):
            continue
        kind = cell("Type").lower() or "event"
        start = _sheet_date(cell("Year"), cell("Month"), cell("Day"), cell("Time"))
        end = _sheet_date(cell("End Year"), cell("End Month"), cell("End Day"), cell("End Time"))
        dropped = tuple(c for c in ("Media", "Background") if cell(c))
        slides.append(Slide(f"row {number}", kind, start, end, cell("Headline"), cell("Text"),
                            cell("Display Date"), cell("Group"), "", dropped))
    return slides


def _sheet_date(year: str, month: str, day: str, time: str) -> dict[str, Any]:
    parts: dict[str, Any] = {"year": year, "month": month, "day": day}
    if time:
        match = _TIME.match(time)
        if not match:
            parts["time"] = time  # reported by the conversion
        else:
            hour, minute = int(match.group(1)), int(match.group(2))
            meridiem = (match.group(4) or "").lower().replace(".", "")
            hour = hour % 12 + (12 if meridiem == "pm" else 0) if meridiem else hour
            parts.update(hour=hour, minute=minute, second=int(match.group(3) or 0))
    return {k: v for k, v in parts.items() if v not in ("", None)}


def to_date(parts: dict[str, Any], timezone: str) -> FuzzyDate | None:
    """Turn TimelineJS date parts into a FuzzyDate; raise DateError with a message when impossible."""
    if not parts:
        return None
    if "time" in parts:
        raise DateError("bad-date", f"time {parts['time']!r} is not a time such as 14:41 or 2:41 PM")
    values = {}
    for key in ("year", "month", "day", "hour", "minute", "second"):
        value = parts.get(key)
        if value in (None, ""):
            continue
        try:
            number = float(str(value).strip())
        except ValueError:
            raise DateError("bad-date", f"{key} {value!r} is not a number") from None
        if number != int(number):
            raise DateError("bad-date", f"{key} {value!r} is not a whole number")
        values[key] = int(number)
    if "year" not in values:
        raise DateError("bad-date", "there is no year")
    year = values["year"]
    if not 1 <= year <= 9999:
        raise DateError("impossible-date", f"year {year} is outside 1-9999, the years Dateline dates can name")
    text = f"{year:04d}"
    if "month" not in values:
        if any(k in values for k in ("day", "hour", "minute")):
            raise DateError("bad-date", "a day or time is given without a month")
        return parse_date(text)
    text += f"-{values['month']:02d}"
    if "day" not in values:
        if any(k in values for k in ("hour", "minute")):
            raise DateError("bad-date", "a time is given without a day")
        return parse_date(text)
    text += f"-{values['day']:02d}"
    day = parse_date(text)  # a month 13 or a 30 February is reported here, in the validator's words
    if "hour" not in values:
        return day
    clock = f"{values['hour']:02d}:{values.get('minute', 0):02d}" + (
        f":{values['second']:02d}" if values.get("second") else "")
    parse_date(f"{text}T{clock}Z")  # the same for an hour 25
    local = datetime(day.year, day.month, day.day, values["hour"], values.get("minute", 0))
    offset = ZoneInfo(timezone).utcoffset(local)
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return parse_date(f"{text}T{clock}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}")


def convert(slides: list[Slide], config: SiteConfig, tag_names: dict[str, str], taken: set[str]) -> Imported:
    """Convert slides into event file texts and new tags, checking each event with the validator."""
    out = Imported()
    known = {name.casefold(): tag_id for tag_id, name in tag_names.items()}
    eras = []
    for slide in slides:
        if slide.kind == "era":
            try:
                start, end = to_date(slide.start, config.timezone), to_date(slide.end, config.timezone)
            except DateError as exc:
                out.problems.append((slide.label, f"era date: {exc.message}"))
                continue
            if start is not None and end is not None and html_to_text(slide.headline):
                eras.append((start, end, _tag(out, known, html_to_text(slide.headline), "era", tag_names)))
            else:
                out.problems.append((slide.label, "an era needs a start date, an end date and a headline"))
    for slide in slides:
        if slide.kind == "title":
            out.skipped += 1
        elif slide.kind == "event":
            _convert_event(slide, config, known, tag_names, eras, taken, out)
        elif slide.kind != "era":
            out.problems.append((slide.label, f"Type {slide.kind!r} is not one of: title, era, or empty for an event"))
    return out


def _convert_event(slide: Slide, config: SiteConfig, known: dict[str, str], tag_names: dict[str, str],
                   eras: list[tuple[FuzzyDate, FuzzyDate, str]], taken: set[str], out: Imported) -> None:
    title = html_to_text(slide.headline)
    if not title:
        out.problems.append((slide.label, "there is no Headline; an event needs a title"))
        return
    try:
        start = to_date(slide.start, config.timezone)
        end = to_date(slide.end, config.timezone)
    except DateError as exc:
        out.problems.append((slide.label, f"{title!r}: {exc.message}"))
        return
    if start is None:
        out.problems.append((slide.label, f"{title!r}: there is no date (Year)"))
        return
    if end is not None and is_before(end, start):
        out.problems.append((slide.label, f"{title!r}: the end date {end.iso} is before the start {start.iso}"))
        return
    summary = _strip_permalink(html_to_markdown(slide.text), slide.unique_id)
    tags = [_tag(out, known, html_to_text(slide.group), "", tag_names)] if html_to_text(slide.group) else []
    tags += [tag for era_start, era_end, tag in eras
             if not is_before(start, era_start) and not is_before(era_end, start) and tag not in tags]
    event_id = slide.unique_id if schema.ID_RE.match(slide.unique_id) else ""
    if event_id and event_id in taken:
        out.problems.append((slide.label, f"content/events/{event_id}.yaml already exists (or is an alias); "
                                          "it was not overwritten"))
        return
    event_id = event_id or free_id(f"{start.iso[:10]}-{slugify(title) or 'event'}", taken)
    draft = not summary.strip()
    if draft:
        summary = DRAFT_SUMMARY
        out.notes.append((slide.label, f"{title!r} has no Text: imported as a draft; write its summary"))
    text = event_yaml(start, end, bool(_CIRCA.match(slide.display_date)), title, summary, tags, draft)
    report = Report()
    doc, problem = parse_yaml(text, f"{event_id}.yaml")
    if problem is not None or validate_event(doc, config, report) is None or report.errors:
        first = problem or report.errors[0]
        out.problems.append((slide.label, f"{title!r}: {first.message}"))
        return
    taken.add(event_id)
    out.events[event_id] = text
    if slide.dropped:
        out.notes.append((slide.label, f"{' and '.join(slide.dropped)} not imported: Dateline events cite sources "
                                       "instead (build.py new source --url ...)"))


def _tag(out: Imported, known: dict[str, str], name: str, group: str, tag_names: dict[str, str]) -> str:
    """Return the id of the tag named `name`, creating it when the site has none by that name."""
    tag_id = known.get(name.casefold())
    if tag_id is None:
        base = slugify(name) or "group"
        tag_id = free_id(base, set(tag_names) | set(out.tags))
        out.tags[tag_id] = (name, group)
        known[name.casefold()] = tag_id
    return tag_id


def _strip_permalink(markdown: str, event_id: str) -> str:
    # Dateline's own export ends each slide with a link back to the event's page; drop it on the way home.
    paragraphs = markdown.split("\n\n")
    if event_id and paragraphs and re.fullmatch(rf"\[[^\]]*\]\(\S*/events/{re.escape(event_id)}/\)",
                                                paragraphs[-1].strip()):
        paragraphs.pop()
    return "\n\n".join(paragraphs)


def event_yaml(start: FuzzyDate, end: FuzzyDate | None, circa: bool, title: str, summary: str,
               tags: list[str], draft: bool = False) -> str:
    """Compose an event file."""
    lines = [f"date: {start.iso}"]
    if end is not None and end != start:
        lines.append(f"end_date: {end.iso}")
    if circa:
        lines.append("circa: true")
    lines += [f"title: {scalar(title)}", f"summary: {_text_value(summary)}"]
    if tags:
        lines.append(f"tags: {scalar(tags)}")
    if draft:
        lines.append("status: draft  # delete this line when the event is ready to publish")
    return "\n".join(lines) + "\n"


def wrap(markdown: str, width: int = 78) -> str:
    """Wrap plain paragraphs for small diffs; lists, quotes and hard line breaks stay as they are."""
    out = []
    for paragraph in markdown.split("\n\n"):
        if "\n" in paragraph or re.match(r"\s*([-*>#]|\d+\.)\s", paragraph):
            out.append(paragraph)
        else:
            out.append(textwrap.fill(paragraph, width, break_long_words=False, break_on_hyphens=False))
    wrapped = "\n\n".join(out)
    # A '#' or '>' that lands at the start of a line would become markup: then keep the long lines.
    return wrapped if _squeeze(_MARKDOWN.render(wrapped)) == _squeeze(_MARKDOWN.render(markdown)) else markdown


def _squeeze(html: str) -> str:
    return re.sub(r"\s*(<[^>]*>)\s*", r"\1", re.sub(r"\s+", " ", html))


def _text_value(text: str) -> str:
    # A literal block reads best; fall back to a quoted scalar when YAML would not give the text back.
    text = wrap(text)
    if text and "\n" in text:
        candidate = block(text).rstrip("\n")
        if yaml.safe_load(f"x: {candidate}\n") == {"x": text.strip() + "\n"}:
            return candidate
    return scalar(text)


def existing_tags(tags_doc: Any) -> dict[str, str]:
    """Return tag id -> name from tags.yaml's data."""
    if not isinstance(tags_doc, dict):
        return {}
    return {k: str(v.get("name", k)) if isinstance(v, dict) else k for k, v in tags_doc.items()}


def tags_yaml(tags: dict[str, tuple[str, str]]) -> str:
    """Compose tags.yaml entries for new tags."""
    lines = []
    for tag_id, (name, group) in tags.items():
        lines += [f"{tag_id}:", f"  name: {scalar(name)}"] + ([f"  group: {group}"] if group else [])
    return "\n".join(lines) + "\n" if lines else ""

