"""The calendar: /data/events.ics (RFC 5545), byte-identical from the same content."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from .data import Text
from .dates import FuzzyDate
from .feeds import entry_times
from .model import Event, Site

LINE_OCTETS = 75  # RFC 5545 3.1: fold lines longer than 75 octets


def render_ics(site: Site, text: Text, home: str, vevents: Sequence[bytes] | None = None) -> bytes:
    """Render every event as a VEVENT: all-day for dates, UTC times for datetimes.

    `vevents` are the events' vevent(), when the caller has them already.
    """
    config = site.config
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:-//Dateline//{_text(config.title)}//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", f"X-WR-CALNAME:{_text(config.title)}"]
    if config.description:
        lines.append(f"X-WR-CALDESC:{_text(config.description)}")
    if vevents is None:
        host = calendar_host(home)
        vevents = [vevent(site, e, text, host) for e in site.events]
    return b"".join([_content_lines(lines), *vevents, b"END:VCALENDAR\r\n"])


def calendar_host(home: str) -> str:
    """Return the host name that makes event UIDs unique across calendars."""
    return urlsplit(home).hostname or "dateline.invalid"


def vevent(site: Site, event: Event, text: Text, host: str) -> bytes:
    """Encode an event's VEVENT, folded, each line ending in CRLF; `host` is calendar_host(home)."""
    permalink = text.url(event)
    # Derived from content, not the clock, so every build writes the same bytes.
    stamp = entry_times(event, site.history).updated.replace("-", "").replace(":", "")
    title = ("c. " if event.circa else "") + event.title
    if event.status == "retracted":
        title = "[Retracted] " + title
    description = f"{text.when(event)}\n\n{text.plain(event.summary)}\n\n{permalink}"
    lines = ["BEGIN:VEVENT", f"UID:{event.id}@{host}", f"DTSTAMP:{stamp}"]
    lines += _period(event.date, event.end_date)
    lines += [f"SUMMARY:{_text(title)}", f"DESCRIPTION:{_text(description)}", f"URL:{permalink}"]
    if event.tags:
        lines.append("CATEGORIES:" + ",".join(_text(site.tags[t].name) for t in event.tags))
    if event.location is not None:
        lines.append(f"LOCATION:{_text(event.location.name)}")
        if event.location.lat is not None and event.location.lon is not None:
            lines.append(f"GEO:{event.location.lat};{event.location.lon}")
    lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
    return _content_lines(lines)


def _content_lines(lines: list[str]) -> bytes:
    return "".join(fold(line) + "\r\n" for line in lines).encode("utf-8")


def _period(start: FuzzyDate, end: FuzzyDate | None) -> list[str]:
    """Return DTSTART and DTEND: UTC instants when both ends have times, else whole days."""
    last = end or start
    if start.hour is not None and last.hour is not None:
        return [f"DTSTART:{_utc(start.start_utc)}", f"DTEND:{_utc(last.end_utc)}"]
    # DTEND of an all-day event is exclusive: the day after the last day.
    return [f"DTSTART;VALUE=DATE:{_day(start.local_date)}",
            f"DTEND;VALUE=DATE:{_day(_day_after(last))}"]


def _day_after(d: FuzzyDate) -> date:
    """Return the day after the last day `d` covers, as written (no later than 9999-12-31)."""
    if d.month is None:
        last = date(d.year, 12, 31)
    elif d.day is None:
        last = date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])
    else:
        last = date(d.year, d.month, d.day)
    return last if last == date.max else last + timedelta(days=1)


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _day(d: date) -> str:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def _text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n"))


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character."""
    if line.isascii():  # one octet a character: plain slices (the loop below costs seconds at 10,000 events)
        if len(line) <= LINE_OCTETS:
            return line
        rest = LINE_OCTETS - 1
        return "\r\n ".join([line[:LINE_OCTETS]] + [line[i:i + rest] for i in range(LINE_OCTETS, len(line), rest)])
    data = line.encode("utf-8")
    if len(data) <= LINE_OCTETS:
        return line
    parts, start, limit = [], 0, LINE_OCTETS
    while len(data) - start > limit:
        end = start + limit
        while data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: cut before its character instead
            end -= 1
        parts.append(data[start:end])
        start, limit = end, LINE_OCTETS - 1  # continuation lines start with a space
    parts.append(data[start:])
    return b"\r\n ".join(parts).decode("utf-8")
