"""Dates: parse, order and format the fuzzy dates that events are written with.

A date is written as `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or an ISO datetime with
a UTC offset (`2022-01-14T14:41+09:00`); its precision follows the form.
Dates without a time are floating calendar dates in the event's own local
time; only datetimes name an instant.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import timezone as _tz
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

YEAR = "year"
MONTH = "month"
DAY = "day"
TIME = "time"
PRECISIONS = (YEAR, MONTH, DAY, TIME)

# Written out rather than taken from calendar.month_name, which follows the
# process locale: builds must be byte-identical on every machine.
MONTH_NAMES = (
    "", "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)

# Real UTC offsets run from -12:00 to +14:00; anything outside is a typo.
MIN_OFFSET_MINUTES = -12 * 60
MAX_OFFSET_MINUTES = 14 * 60

_UTC = _tz.utc
# Instants are counted in seconds from 0001-01-01T00:00Z (day ordinal 1), so
# sort keys and comparisons stay integer arithmetic with no datetime objects.
_FIRST_SECOND = 86400
_END_SECOND = (date.max.toordinal() + 1) * 86400
_EPOCH = datetime(1, 1, 1, tzinfo=_UTC)

_FORMS_HINT = "write YYYY, YYYY-MM, YYYY-MM-DD or a datetime with offset such as 2022-01-14T14:41+09:00"
_OFFSET_HINT = "write the offset as +HH:MM or -HH:MM, e.g. +09:00, or Z for UTC"

_DATE_RE = re.compile(
    r"""
    (?P<year>[0-9]{4})
    (?:-(?P<month>[0-9]{2})
      (?:-(?P<day>[0-9]{2})
        (?:[Tt\ ](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})
          (?::(?P<second>[0-9]{2})(?P<fraction>[.,][0-9]+)?)?
          \ ?
          (?:(?P<zulu>[Zz])
            |(?P<sign>[-+\u2212])(?P<off_h>[0-9]{2})(?::?(?P<off_m>[0-9]{2}))?
            |(?P<bad_offset>[-+\u2212].*)
          )?
        )?
      )?
    )?
    """,
    re.VERBOSE,
)
# Only consulted after a failed parse, to suggest the fix for near misses.
_LOOSE_RE = re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})(?:[-/.]([0-9]{1,2}))?")


class DateError(ValueError):
    """A date that cannot be parsed or does not exist."""

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        # All three go to ValueError so the error survives pickling.
        super().__init__(code, message, hint)
        self.code = code
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class FuzzyDate:
    """A date known to the year, month, day or minute; times carry their UTC offset.

    Constructing one validates it (raising DateError); a time's missing
    `second` is stored as 0 so equal datetimes compare equal.
    """

    year: int
    month: int | None = None
    day: int | None = None
    hour: int | None = None
    minute: int | None = None
    second: int | None = None
    offset_minutes: int | None = None

    def __post_init__(self) -> None:
        _validate(self)
        if self.hour is not None and self.second is None:
            object.__setattr__(self, "second", 0)

    def __str__(self) -> str:
        return self.iso

    @property
    def precision(self) -> str:
        if self.month is None:
            return YEAR
        if self.day is None:
            return MONTH
        if self.hour is None:
            return DAY
        return TIME

    @property
    def iso(self) -> str:
        text = f"{self.year:04d}"
        if self.month is None:
            return text
        text += f"-{self.month:02d}"
        if self.day is None:
            return text
        text += f"-{self.day:02d}"
        if self.hour is None:
            return text
        text += f"T{_clock(self.hour, self.minute, self.second)}"
        return text + _offset_text(self.offset_minutes)

    @property
    def html_datetime(self) -> str:
        # Each canonical form is already a valid <time datetime> value.
        return self.iso

    @property
    def sort_key(self) -> tuple[int, int, int, int, int, int]:
        """(year, month|0, day|0, precision rank, UTC second, offset): coarse first."""
        if self.hour is None:
            rank = 0 if self.month is None else 1 if self.day is None else 2
            return (self.year, self.month or 0, self.day or 0, rank, 0, 0)
        return (self.year, self.month, self.day, 3, _start_second(self), self.offset_minutes)

    @property
    def start_utc(self) -> datetime:
        """First instant of the period in UTC (dates start at midnight UTC)."""
        return _utc_from_second(_start_second(self))

    @property
    def end_utc(self) -> datetime:
        """Exclusive end of the period in UTC: the first instant after it.

        A time covers the unit its canonical form shows: the minute, or the
        second when seconds are non-zero. The period ending after 9999
        returns datetime.max.
        """
        return _utc_from_second(_end_second(self))

    @property
    def local_date(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)


def parse_date(text: str) -> FuzzyDate:
    """Parse a date as written in content, raising DateError when it is wrong."""
    if not isinstance(text, str):
        # YAML reads a bare year such as 2019 as an int; accept it as written.
        if isinstance(text, int) and not isinstance(text, bool):
            text = str(text)
        else:
            raise DateError("bad-date", f"expected a date written as text, not {type(text).__name__}", _FORMS_HINT)
    text = text.strip()
    match = _DATE_RE.fullmatch(text)
    if match is None:
        raise DateError("bad-date", f"{text!r} is not a date in a supported form", _suggest(text))
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m, bad = match.groups()
    offset = None
    if hour is not None:
        if fraction:
            raise DateError(
                "bad-date",
                f"{text!r} has fractional seconds",
                f"drop them: {text.replace(fraction, '', 1)}",
            )
        if bad is not None:
            raise DateError("bad-offset", f"{text!r} has a malformed UTC offset {bad!r}", _OFFSET_HINT)
        if zulu:
            offset = 0
        elif sign:
            offset_hours, offset_mins = int(off_h), int(off_m or 0)
            if offset_mins > 59:
                raise DateError("bad-offset", f"{text!r} has an offset with {offset_mins} minutes", _OFFSET_HINT)
            offset = offset_hours * 60 + offset_mins
            if sign != "+":
                offset = -offset
        else:
            raise DateError(
                "bad-offset",
                f"{text!r} has a time but no UTC offset",
                f"add the offset, e.g. {text}+09:00 (or {text}Z for UTC)",
            )
    try:
        return FuzzyDate(
            int(year),
            int(month) if month else None,
            int(day) if day else None,
            int(hour) if hour else None,
            int(minute) if minute else None,
            int(second) if second else None,
            offset,
        )
    except DateError as err:
        lead = "is not a real date" if err.code == "impossible-date" else "has a bad UTC offset"
        raise DateError(err.code, f"{text!r} {lead}: {err.message}", err.hint) from None


def format_date(d: FuzzyDate, *, circa: bool = False, timezone: str | None = None) -> str:
    """Format a date in English at its own precision, times in local time and UTC."""
    return ("c. " if circa else "") + _date_text(d, timezone)


def format_range(
    start: FuzzyDate, end: FuzzyDate | None, *, circa: bool = False, timezone: str | None = None
) -> str:
    """Format a period, sharing the month and year between its ends when they agree."""
    if end is None or end == start:
        return format_date(start, circa=circa, timezone=timezone)
    return ("c. " if circa else "") + _range_text(start, end, timezone)


def is_before(end: FuzzyDate, start: FuzzyDate) -> bool:
    """Return True when `end` lies entirely before `start` begins."""
    if end.hour is not None and start.hour is not None:
        return _start_second(end) < _start_second(start)
    # A date without a time floats in the event's local time, so compare the
    # calendar days as written rather than pretending the date is UTC.
    return _last_day(end) < start.local_date.toordinal()


def rfc3339(d: FuzzyDate) -> str:
    """Return the start of `d` as an RFC 3339 UTC timestamp for feeds."""
    u = d.start_utc
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def _validate(d: FuzzyDate) -> None:
    year, month, day, hour, minute, second, offset = (
        d.year, d.month, d.day, d.hour, d.minute, d.second, d.offset_minutes,
    )
    if not 1 <= year <= 9999:
        reason = "there is no year 0" if year == 0 else f"year {year} is outside 0001-9999"
        raise DateError("impossible-date", reason, "years run from 0001 to 9999 (there is no year 0)")
    _check_shape(month, (day, hour, minute, second, offset), "a day or time needs a month")
    if month is None:
        return
    if not 1 <= month <= 12:
        raise DateError("impossible-date", f"there is no month {month}", "months run from 01 to 12")
    _check_shape(day, (hour, minute, second, offset), "a time needs a day")
    if day is None:
        return
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        reason = f"{MONTH_NAMES[month]} {year} has {last} days"
        if month == 2 and day == 29:
            reason += f" ({year} is not a leap year)"
        raise DateError("impossible-date", reason, f"the last day of the month is {year:04d}-{month:02d}-{last:02d}")
    _check_shape(hour, (minute, second, offset), "minutes and an offset need an hour")
    if hour is None:
        return
    if minute is None:
        raise DateError("bad-date", "a time needs minutes", "write the time as HH:MM")
    if offset is None:
        raise DateError("bad-offset", "a time needs a UTC offset", "add the offset, e.g. +09:00")
    if not 0 <= hour <= 23:
        raise DateError(
            "impossible-date",
            f"there is no hour {hour}",
            "hours run from 00 to 23; write midnight at the end of a day as 00:00 of the next day",
        )
    if not 0 <= minute <= 59:
        raise DateError("impossible-date", f"there is no minute {minute}", "minutes run from 00 to 59")
    if second is not None and not 0 <= second <= 59:
        raise DateError("impossible-date", f"there is no second {second}", "seconds run from 00 to 59")
    if not MIN_OFFSET_MINUTES <= offset <= MAX_OFFSET_MINUTES:
        raise DateError(
            "bad-offset",
            f"{_offset_text(offset)} is out of range",
            "UTC offsets run from -12:00 to +14:00; check the sign and the digits",
        )
    if not _FIRST_SECOND <= _start_second(d) < _END_SECOND:
        raise DateError(
            "impossible-date", "the instant falls outside 0001-9999 in UTC", "write a date between 0001 and 9999"
        )


def _check_shape(missing: int | None, finer: tuple[int | None, ...], reason: str) -> None:
    # Only reachable by constructing FuzzyDate directly: the regex nests the parts.
    if missing is None and any(part is not None for part in finer):
        raise DateError("bad-date", reason, _FORMS_HINT)


def _suggest(text: str) -> str:
    loose = _LOOSE_RE.fullmatch(text)
    if loose is None:
        return _FORMS_HINT
    year, month, day = loose.groups()
    fixed = f"{year}-{int(month):02d}" + (f"-{int(day):02d}" if day else "")
    return f"write it as {fixed}"


def _start_second(d: FuzzyDate) -> int:
    day_second = date(d.year, d.month or 1, d.day or 1).toordinal() * 86400
    if d.hour is None:
        return day_second
    return day_second + d.hour * 3600 + d.minute * 60 + (d.second or 0) - d.offset_minutes * 60


def _end_second(d: FuzzyDate) -> int:
    if d.hour is not None:
        return _start_second(d) + (1 if d.second else 60)
    return (_last_day(d) + 1) * 86400


def _last_day(d: FuzzyDate) -> int:
    """Return the ordinal of the last calendar day of `d` as written."""
    if d.month is None:
        return date(d.year, 12, 31).toordinal()
    if d.day is None:
        return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1]).toordinal()
    return date(d.year, d.month, d.day).toordinal()


def _utc_from_second(second: int) -> datetime:
    if second >= _END_SECOND:
        return datetime.max.replace(tzinfo=_UTC)
    return _EPOCH + timedelta(seconds=second - _FIRST_SECOND)


def _clock(hour: int, minute: int, second: int | None) -> str:
    return f"{hour:02d}:{minute:02d}" + (f":{second:02d}" if second else "")


def _offset_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def _day_text(day: int, month: int, year: int) -> str:
    return f"{day} {MONTH_NAMES[month]} {year}"


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo | None:
    # site.yaml is validated elsewhere; a bad name here degrades to numeric offsets.
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _zone_label(d: FuzzyDate, timezone: str | None) -> str:
    """Name the offset of `d`: the site zone's abbreviation when it matches, else UTC+HH:MM."""
    zone = _zone(timezone) if timezone else None
    if zone is not None:
        local = d.start_utc.astimezone(zone)
        if local.utcoffset() == timedelta(minutes=d.offset_minutes):
            abbreviation = local.tzname() or ""
            # Zones without a customary abbreviation report "+09"; spell those out.
            if abbreviation[:1].isalpha():
                return abbreviation
    return "UTC" + _offset_text(d.offset_minutes)


def _utc_day_suffix(d: FuzzyDate, utc: datetime) -> str:
    """Return ", 13 January" when the UTC day differs from the written day."""
    if utc.date() == d.local_date:
        return ""
    suffix = f", {utc.day} {MONTH_NAMES[utc.month]}"
    return suffix + (f" {utc.year}" if utc.year != d.year else "")


def _date_text(d: FuzzyDate, timezone: str | None) -> str:
    if d.month is None:
        return str(d.year)
    if d.day is None:
        return f"{MONTH_NAMES[d.month]} {d.year}"
    day = _day_text(d.day, d.month, d.year)
    if d.hour is None:
        return day
    clock = _clock(d.hour, d.minute, d.second)
    if d.offset_minutes == 0:
        return f"{day}, {clock} UTC"
    utc = d.start_utc
    utc_clock = _clock(utc.hour, utc.minute, utc.second)
    return f"{day}, {clock} {_zone_label(d, timezone)} ({utc_clock} UTC{_utc_day_suffix(d, utc)})"


def _range_text(a: FuzzyDate, b: FuzzyDate, timezone: str | None) -> str:
    precision = a.precision
    if precision == b.precision:
        if precision == YEAR:
            return f"{a.year}–{b.year}"
        if a.year == b.year:
            if precision == MONTH:
                return f"{MONTH_NAMES[a.month]}–{MONTH_NAMES[b.month]} {a.year}"
            if precision == DAY and a.month == b.month:
                return f"{a.day}–{b.day} {MONTH_NAMES[a.month]} {a.year}"
            if precision == DAY:
                return f"{a.day} {MONTH_NAMES[a.month]} – {b.day} {MONTH_NAMES[b.month]} {a.year}"
            if precision == TIME:
                same_day = _same_day_times(a, b, timezone)
                if same_day:
                    return same_day
    return f"{_date_text(a, timezone)} – {_date_text(b, timezone)}"


def _same_day_times(a: FuzzyDate, b: FuzzyDate, timezone: str | None) -> str:
    """Format two times on one written day as a clock range, or return "" when they differ."""
    if a.local_date != b.local_date or a.offset_minutes != b.offset_minutes:
        return ""
    day = _day_text(a.day, a.month, a.year)
    clocks = f"{_clock(a.hour, a.minute, a.second)}–{_clock(b.hour, b.minute, b.second)}"
    if a.offset_minutes == 0:
        return f"{day}, {clocks} UTC"
    label = _zone_label(a, timezone)
    ua, ub = a.start_utc, b.start_utc
    # A zone change between the two, or UTC crossing midnight, needs the full form.
    if label != _zone_label(b, timezone) or ua.date() != ub.date():
        return ""
    utc_clocks = f"{_clock(ua.hour, ua.minute, ua.second)}–{_clock(ub.hour, ub.minute, ub.second)}"
    return f"{day}, {clocks} {label} ({utc_clocks} UTC{_utc_day_suffix(a, ua)})"
