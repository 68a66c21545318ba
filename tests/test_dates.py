"""Tests for dateline.dates: parsing, validation, ordering and formatting."""

from __future__ import annotations

import pickle
import random
from datetime import date, datetime, timezone

import pytest

from dateline.dates import (
    DateError,
    FuzzyDate,
    format_date,
    format_range,
    is_before,
    parse_date,
    rfc3339,
)

UTC = timezone.utc


# --- parsing every form -----------------------------------------------------


@pytest.mark.parametrize(
    "text, fields, precision, iso",
    [
        ("2019", (2019, None, None, None, None, None, None), "year", "2019"),
        ("2022-01", (2022, 1, None, None, None, None, None), "month", "2022-01"),
        ("2022-01-14", (2022, 1, 14, None, None, None, None), "day", "2022-01-14"),
        ("2022-01-14T14:41+09:00", (2022, 1, 14, 14, 41, 0, 540), "time", "2022-01-14T14:41+09:00"),
        ("2022-01-14T14:41:30+09:00", (2022, 1, 14, 14, 41, 30, 540), "time", "2022-01-14T14:41:30+09:00"),
        ("2022-01-14T14:41:00+09:00", (2022, 1, 14, 14, 41, 0, 540), "time", "2022-01-14T14:41+09:00"),
        ("2022-01-14T05:41Z", (2022, 1, 14, 5, 41, 0, 0), "time", "2022-01-14T05:41+00:00"),
        ("2022-01-14T09:10-05:30", (2022, 1, 14, 9, 10, 0, -330), "time", "2022-01-14T09:10-05:30"),
        ("2022-01-14T14:41+0545", (2022, 1, 14, 14, 41, 0, 345), "time", "2022-01-14T14:41+05:45"),
        ("2022-01-14 14:41:30 +09:00", (2022, 1, 14, 14, 41, 30, 540), "time", "2022-01-14T14:41:30+09:00"),
        ("  2022-01-14  ", (2022, 1, 14, None, None, None, None), "day", "2022-01-14"),
    ],
)
def test_parse_every_form(text, fields, precision, iso):
    d = parse_date(text)
    assert (d.year, d.month, d.day, d.hour, d.minute, d.second, d.offset_minutes) == fields
    assert d.precision == precision
    assert d.iso == iso
    assert str(d) == iso


def test_parse_accepts_a_year_read_by_yaml_as_int():
    assert parse_date(2019) == parse_date("2019") == FuzzyDate(2019)


def test_same_time_written_with_and_without_seconds_is_equal():
    assert parse_date("2022-01-14T14:41+09:00") == parse_date("2022-01-14T14:41:00+09:00")
    assert FuzzyDate(2022, 1, 14, 14, 41, offset_minutes=540) == parse_date("2022-01-14T14:41+09:00")


def test_canonical_form_round_trips():
    for text in ["2019", "0800", "2022-01", "2020-02-29", "2022-01-14T14:41+09:00", "2022-01-14T23:59:59-12:00"]:
        d = parse_date(text)
        assert parse_date(d.iso) == d


def test_leap_day_in_leap_year_is_accepted():
    assert parse_date("2020-02-29").local_date == date(2020, 2, 29)
    assert parse_date("2000-02-29").day == 29


def test_html_datetime_is_the_canonical_form():
    assert parse_date("2019").html_datetime == "2019"
    assert parse_date("2022-01").html_datetime == "2022-01"
    assert parse_date("2022-01-14").html_datetime == "2022-01-14"
    assert parse_date("2022-01-14T14:41+09:00").html_datetime == "2022-01-14T14:41+09:00"
    assert parse_date("2022-01-14T05:41Z").html_datetime == "2022-01-14T05:41+00:00"


# --- errors -------------------------------------------------------------------


def _error(text) -> DateError:
    with pytest.raises(DateError) as info:
        parse_date(text)
    return info.value


@pytest.mark.parametrize(
    "text",
    ["2022-02-30", "2022-13", "2022-00", "0000", "2021-02-29", "1900-02-29", "2022-04-31", "2022-01-00",
     "2022-01-14T24:30+09:00", "2022-01-14T24:00+09:00", "2022-01-14T14:60+09:00", "2022-01-14T14:41:60+09:00"],
)
def test_impossible_dates(text):
    err = _error(text)
    assert err.code == "impossible-date"
    assert text in err.message
    assert err.hint


def test_impossible_date_messages_say_what_is_wrong():
    err = _error("2021-02-29")
    assert "February 2021 has 28 days" in err.message
    assert "not a leap year" in err.message
    assert "2021-02-28" in err.hint
    assert "no year 0" in _error("0000").message
    assert "month 13" in _error("2022-13").message
    assert "hour 24" in _error("2022-01-14T24:30+09:00").message


@pytest.mark.parametrize(
    "text",
    ["", "22", "20190", "2019-1", "2022-1-5", "14/01/2022", "January 2022", "2022-01-14T14", "2022-01-14T1441+09:00",
     "2022-01-14T14:41:30.5+09:00", "-0044-03-15", "2022-01-14X", "２０２２"],
)
def test_unrecognised_forms(text):
    err = _error(text)
    assert err.code == "bad-date"
    assert err.hint


def test_near_misses_get_a_corrected_suggestion():
    assert _error("2022-1-5").hint == "write it as 2022-01-05"
    assert _error("2022/01/14").hint == "write it as 2022-01-14"
    assert "2022-01-14T14:41:30+09:00" in _error("2022-01-14T14:41:30.5+09:00").hint


@pytest.mark.parametrize("value", [None, True, 2022.5, date(2022, 1, 14)])
def test_non_text_values_are_bad_dates(value):
    assert _error(value).code == "bad-date"


def test_missing_offset():
    err = _error("2022-01-14T14:41")
    assert err.code == "bad-offset"
    assert "no UTC offset" in err.message
    assert "2022-01-14T14:41+09:00" in err.hint


@pytest.mark.parametrize(
    "text",
    ["2022-01-14T14:41+25:00", "2022-01-14T14:41+14:30", "2022-01-14T14:41-13:00", "2022-01-14T14:41+09:75",
     "2022-01-14T14:41+9", "2022-01-14T14:41+09:0", "2022-01-14T14:41+09:00:00"],
)
def test_bad_offsets(text):
    err = _error(text)
    assert err.code == "bad-offset"
    assert err.hint


def test_extreme_real_offsets_are_accepted():
    assert parse_date("2022-01-14T14:41+14:00").offset_minutes == 840
    assert parse_date("2022-01-14T14:41-12:00").offset_minutes == -720


def test_instant_outside_representable_years_is_rejected():
    assert _error("0001-01-01T00:00+09:00").code == "impossible-date"
    assert _error("9999-12-31T23:00-05:00").code == "impossible-date"


def test_direct_construction_is_validated():
    with pytest.raises(DateError) as info:
        FuzzyDate(2022, 2, 30)
    assert info.value.code == "impossible-date"
    with pytest.raises(DateError) as info:
        FuzzyDate(2022, 1, 14, 14, 41)
    assert info.value.code == "bad-offset"
    with pytest.raises(DateError) as info:
        FuzzyDate(2022, None, 14)
    assert info.value.code == "bad-date"


def test_date_error_is_a_value_error_and_pickles():
    err = DateError("bad-date", "message", "hint")
    assert isinstance(err, ValueError)
    assert str(err) == "message"
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.code, copy.message, copy.hint) == ("bad-date", "message", "hint")


# --- instants -----------------------------------------------------------------


def test_start_and_exclusive_end_in_utc():
    cases = {
        "2019": (datetime(2019, 1, 1, tzinfo=UTC), datetime(2020, 1, 1, tzinfo=UTC)),
        "2020-02": (datetime(2020, 2, 1, tzinfo=UTC), datetime(2020, 3, 1, tzinfo=UTC)),
        "2021-12-31": (datetime(2021, 12, 31, tzinfo=UTC), datetime(2022, 1, 1, tzinfo=UTC)),
        "2022-01-14T14:41+09:00": (datetime(2022, 1, 14, 5, 41, tzinfo=UTC), datetime(2022, 1, 14, 5, 42, tzinfo=UTC)),
        "2022-01-14T14:41:30+09:00": (
            datetime(2022, 1, 14, 5, 41, 30, tzinfo=UTC),
            datetime(2022, 1, 14, 5, 41, 31, tzinfo=UTC),
        ),
    }
    for text, (start, end) in cases.items():
        d = parse_date(text)
        assert d.start_utc == start and d.start_utc.utcoffset().total_seconds() == 0
        assert d.end_utc == end


def test_end_of_year_9999_does_not_overflow():
    assert parse_date("9999").end_utc == datetime.max.replace(tzinfo=UTC)


def test_local_date_is_the_written_day():
    assert parse_date("2022").local_date == date(2022, 1, 1)
    assert parse_date("2022-03").local_date == date(2022, 3, 1)
    # 02:00 in Seoul is the previous day in UTC; the written day wins.
    assert parse_date("2022-01-14T02:00+09:00").local_date == date(2022, 1, 14)


def test_rfc3339():
    assert rfc3339(parse_date("2022-01-14T14:41+09:00")) == "2022-01-14T05:41:00Z"
    assert rfc3339(parse_date("2022-01-14T14:41:07+09:00")) == "2022-01-14T05:41:07Z"
    assert rfc3339(parse_date("2022-01-01T02:00+09:00")) == "2021-12-31T17:00:00Z"
    assert rfc3339(parse_date("2022-01-14")) == "2022-01-14T00:00:00Z"
    assert rfc3339(parse_date("2022-01")) == "2022-01-01T00:00:00Z"
    assert rfc3339(parse_date("0800")) == "0800-01-01T00:00:00Z"


# --- sorting ------------------------------------------------------------------


def test_mixed_precisions_sort_coarse_before_fine():
    texts = [
        "2021-09-15T12:34+09:00",
        "2022",
        "2022-01",
        "2022-01-05",
        "2022-01-05T08:10+09:00",
        "2022-01-11",
        "2022-01-14",
        "2022-01-14T02:00+09:00",  # 17:00 UTC the day before, still filed under the 14th
        "2022-01-14T05:41Z",
        "2022-01-14T14:41:30+09:00",
        "2022-02",
        "2023",
    ]
    shuffled = texts[:]
    random.Random(7).shuffle(shuffled)
    ordered = sorted((parse_date(t) for t in shuffled), key=lambda d: d.sort_key)
    assert [d for d in ordered] == [parse_date(t) for t in texts]


def test_same_day_times_sort_by_utc_instant_not_clock():
    seoul = parse_date("2022-01-14T10:00+09:00")  # 01:00 UTC
    london = parse_date("2022-01-14T08:00Z")  # 08:00 UTC
    assert sorted([london, seoul], key=lambda d: d.sort_key) == [seoul, london]


def test_sort_key_is_ints_and_tells_distinct_dates_apart():
    # Same written day, same instant, different offsets.
    a = parse_date("2022-01-14T01:00+01:00")
    b = parse_date("2022-01-14T02:00+02:00")
    assert a.start_utc == b.start_utc
    assert a.sort_key != b.sort_key
    for d in (a, parse_date("2019"), parse_date("2022-01-14")):
        assert all(type(part) is int for part in d.sort_key)


# --- is_before ----------------------------------------------------------------


@pytest.mark.parametrize(
    "end, start, expected",
    [
        ("2022-01", "2022-01-14", False),  # the month contains the day
        ("2022-01-13", "2022-01-14", True),
        ("2022-01-14", "2022-01-14", False),
        ("2021", "2022-01-14", True),
        ("2022", "2022-01-14", False),
        ("2021-12", "2022-01", True),
        ("2022-01-14T14:41+09:00", "2022-01-14T14:41+09:00", False),
        ("2022-01-14T14:40+09:00", "2022-01-14T14:41+09:00", True),
        ("2022-01-14T06:00Z", "2022-01-14T14:41+09:00", False),  # 06:00 UTC is after 05:41 UTC
        ("2022-01-14T05:00Z", "2022-01-14T14:41+09:00", True),
        ("2022-01-14", "2022-01-14T14:41+09:00", False),
        ("2022-01-13", "2022-01-14T02:00+09:00", True),  # written days compared, not UTC
        ("2022-01-13T23:00+09:00", "2022-01-14", True),
        ("2022-01-14T00:00+09:00", "2022-01-14", False),
    ],
)
def test_is_before(end, start, expected):
    assert is_before(parse_date(end), parse_date(start)) is expected


# --- formatting ---------------------------------------------------------------


def test_format_each_precision():
    assert format_date(parse_date("2019")) == "2019"
    assert format_date(parse_date("2019"), circa=True) == "c. 2019"
    assert format_date(parse_date("2022-01")) == "January 2022"
    assert format_date(parse_date("2022-01"), circa=True) == "c. January 2022"
    assert format_date(parse_date("2022-01-14")) == "14 January 2022"
    assert format_date(parse_date("2022-01-05")) == "5 January 2022"


def test_format_time_in_site_zone_uses_its_abbreviation():
    d = parse_date("2022-01-14T14:41+09:00")
    assert format_date(d, timezone="Asia/Seoul") == "14 January 2022, 14:41 KST (05:41 UTC)"
    assert format_date(d, circa=True, timezone="Asia/Seoul") == "c. 14 January 2022, 14:41 KST (05:41 UTC)"


def test_format_time_without_matching_zone_uses_numeric_offset():
    d = parse_date("2022-01-14T14:41+09:00")
    expected = "14 January 2022, 14:41 UTC+09:00 (05:41 UTC)"
    assert format_date(d) == expected
    assert format_date(d, timezone="Europe/London") == expected
    assert format_date(d, timezone="No/Such_Zone") == expected


def test_format_time_when_zone_abbreviation_is_numeric():
    d = parse_date("2022-01-14T11:41-03:00")
    assert format_date(d, timezone="America/Sao_Paulo") == "14 January 2022, 11:41 UTC-03:00 (14:41 UTC)"


def test_format_time_follows_daylight_saving():
    summer = parse_date("2022-07-14T11:41+01:00")
    assert format_date(summer, timezone="Europe/London") == "14 July 2022, 11:41 BST (10:41 UTC)"


def test_format_time_at_utc():
    assert format_date(parse_date("2022-01-14T05:41Z")) == "14 January 2022, 05:41 UTC"
    assert format_date(parse_date("2022-01-14T05:41Z"), timezone="Asia/Seoul") == "14 January 2022, 05:41 UTC"


def test_format_time_shows_seconds_only_when_non_zero():
    d = parse_date("2022-01-14T14:41:30+09:00")
    assert format_date(d, timezone="Asia/Seoul") == "14 January 2022, 14:41:30 KST (05:41:30 UTC)"


def test_format_time_names_the_utc_day_when_it_differs():
    d = parse_date("2022-01-14T02:00+09:00")
    assert format_date(d, timezone="Asia/Seoul") == "14 January 2022, 02:00 KST (17:00 UTC, 13 January)"
    new_year = parse_date("2022-01-01T02:00+09:00")
    assert format_date(new_year, timezone="Asia/Seoul") == "1 January 2022, 02:00 KST (17:00 UTC, 31 December 2021)"


@pytest.mark.parametrize(
    "start, end, expected",
    [
        ("2022-01-05", "2022-01-11", "5–11 January 2022"),
        ("2022-01-28", "2022-02-03", "28 January – 3 February 2022"),
        ("2021-12-28", "2022-01-03", "28 December 2021 – 3 January 2022"),
        ("2022-01", "2022-03", "January–March 2022"),
        ("2021-12", "2022-01", "December 2021 – January 2022"),
        ("2019", "2021", "2019–2021"),
        ("2021", "2022-01", "2021 – January 2022"),
        ("2022-01", "2022-01-14", "January 2022 – 14 January 2022"),
        ("2022-01-14T14:41+09:00", "2022-01-14T15:30+09:00", "14 January 2022, 14:41–15:30 KST (05:41–06:30 UTC)"),
        ("2022-01-14T05:41Z", "2022-01-14T06:00Z", "14 January 2022, 05:41–06:00 UTC"),
        (
            "2022-01-14T01:41+09:00",
            "2022-01-14T03:30+09:00",
            "14 January 2022, 01:41–03:30 KST (16:41–18:30 UTC, 13 January)",
        ),
        (
            "2022-01-14T08:00+09:00",
            "2022-01-14T10:00+09:00",  # UTC crosses midnight between the two
            "14 January 2022, 08:00 KST (23:00 UTC, 13 January) – 14 January 2022, 10:00 KST (01:00 UTC)",
        ),
        (
            "2022-01-14T14:41+09:00",
            "2022-01-15T09:00+09:00",
            "14 January 2022, 14:41 KST (05:41 UTC) – 15 January 2022, 09:00 KST (00:00 UTC)",
        ),
    ],
)
def test_format_range(start, end, expected):
    assert format_range(parse_date(start), parse_date(end), timezone="Asia/Seoul") == expected


def test_format_range_without_end_or_with_equal_end_is_a_single_date():
    d = parse_date("2022-01-14")
    assert format_range(d, None) == "14 January 2022"
    assert format_range(d, parse_date("2022-01-14")) == "14 January 2022"
    assert format_range(d, None, circa=True) == "c. 14 January 2022"


def test_format_range_circa_prefix_appears_once():
    text = format_range(parse_date("2021-12"), parse_date("2022-01"), circa=True)
    assert text == "c. December 2021 – January 2022"
